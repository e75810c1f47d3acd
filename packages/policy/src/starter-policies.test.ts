import { describe, expect, it } from 'vitest';
import { compilePolicySet } from './policy-compile.js';
import { evaluate } from './policy-evaluate.js';
import { parsePolicyDocument } from './policy-parse.js';
import type { Principal, ResourceAttrs } from './policy-types.js';
import { ACTIONS } from './policy-types.js';
import { STARTER_POLICIES } from './starter-policies.js';

const set = compilePolicySet(
  STARTER_POLICIES.map((document, i) => ({ id: `starter-${i}`, name: document.name, document })),
);
const as = (roles: string[], type: Principal['type'] = 'user'): Principal => ({ type, id: 'x', roles, groups: [] });
const resourceFor = (action: string): ResourceAttrs => {
  const kind = action.split(':')[0];
  if (kind === 'secrets') return { kind: 'secret', name: 'db' };
  if (kind === 'connectors') return { kind: 'connector', name: 'github' };
  if (kind === 'workflows') return { kind: 'workflow', name: 'deploy' };
  return { kind: kind === 'policies' ? 'policy' : kind === 'users' ? 'user' : kind === 'tokens' ? 'token' : 'audit' };
};
const allowedActions = (principal: Principal) =>
  ACTIONS.filter((action) => evaluate(set, { principal, action, resource: resourceFor(action) }).decision === 'allow');

describe('STARTER_POLICIES', () => {
  it('are the three documents of policy.md, each valid', () => {
    expect(STARTER_POLICIES.map((p) => p.name)).toEqual(['starter:developers', 'starter:viewers', 'starter:runners']);
    for (const document of STARTER_POLICIES) expect(parsePolicyDocument(document)).toEqual({ ok: true, document });
  });

  it('let Developers read and use secrets, read connectors and do everything with workflows', () => {
    expect(allowedActions(as(['Developer']))).toEqual([
      'secrets:read',
      'secrets:use',
      'connectors:read',
      'workflows:create',
      'workflows:read',
      'workflows:update',
      'workflows:delete',
      'workflows:run',
    ]);
  });

  it('deny Developers secrets:read_value explicitly, even with another role that allows it', () => {
    const d = evaluate(set, {
      principal: as(['Developer', 'Runner']),
      action: 'secrets:read_value',
      resource: resourceFor('secrets:'),
    });
    expect(d).toMatchObject({
      decision: 'deny',
      reason: 'explicit_deny',
      matched: [{ sid: 'developers-deny-read-value' }],
    });
  });

  it('let Viewers read secrets, connectors and workflows', () => {
    expect(allowedActions(as(['Viewer']))).toEqual(['secrets:read', 'connectors:read', 'workflows:read']);
  });

  it('let Runner tokens read secret values and run workflows', () => {
    expect(allowedActions(as(['Runner'], 'token'))).toEqual([
      'secrets:read',
      'secrets:read_value',
      'connectors:read',
      'workflows:read',
      'workflows:run',
    ]);
  });

  it('give nothing to a principal without roles', () => {
    expect(allowedActions(as([]))).toEqual([]);
  });
});
