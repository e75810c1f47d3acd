/**
 * The policies every new company starts with (`policy.md`, "Starter policies"). They are ordinary
 * documents: the API stores them like any other, and admins may edit or delete them.
 */
import type { PolicyDocument } from './policy-types.js';

export const STARTER_POLICIES: readonly PolicyDocument[] = [
  {
    name: 'starter:developers',
    description: 'Developers see and use secrets and run workflows, but never read secret values.',
    statements: [
      {
        sid: 'developers-allow',
        effect: 'allow',
        actions: ['secrets:read', 'secrets:use', 'connectors:read', 'workflows:*'],
        principals: { roles: ['Developer'] },
      },
      {
        sid: 'developers-deny-read-value',
        effect: 'deny',
        actions: ['secrets:read_value'],
        principals: { roles: ['Developer'] },
      },
    ],
  },
  {
    name: 'starter:viewers',
    description: 'Viewers see secrets, connectors and workflows.',
    statements: [
      {
        sid: 'viewers-allow',
        effect: 'allow',
        actions: ['secrets:read', 'connectors:read', 'workflows:read'],
        principals: { roles: ['Viewer'] },
      },
    ],
  },
  {
    name: 'starter:runners',
    description: 'Runners (service tokens of workflow runs) read secret values to run workflows.',
    statements: [
      {
        sid: 'runners-allow',
        effect: 'allow',
        actions: ['secrets:read', 'secrets:read_value', 'connectors:read', 'workflows:read', 'workflows:run'],
        principals: { roles: ['Runner'] },
      },
    ],
  },
];
