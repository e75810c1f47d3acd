// The three patterns of the product documentation (policy.md, "The seed's three patterns").
export const POLICY_TEMPLATES = [
  {
    label: 'Only admins can create secrets',
    doc: {
      name: 'Only admins can create secrets',
      description: 'Nobody but an Admin creates secrets; Admins are allowed by the built-in rule.',
      statements: [
        {
          sid: 'deny-create-except-admins',
          effect: 'deny',
          actions: ['secrets:create'],
          principals: '*',
          notPrincipals: { roles: ['Admin'] },
          resources: ['secret:*'],
        },
      ],
    },
  },
  {
    label: 'Developers can use but not view secrets',
    doc: {
      name: 'Developers can use but not view secrets',
      description: 'Developers bind secrets to connectors and workflows; only runners read values.',
      statements: [
        { sid: 'developers-use', effect: 'allow', actions: ['secrets:read', 'secrets:use'], principals: { roles: ['Developer'] }, resources: ['secret:*'] },
        { sid: 'developers-never-read-values', effect: 'deny', actions: ['secrets:read_value'], principals: { roles: ['Developer'] }, resources: ['secret:*'] },
      ],
    },
  },
  {
    label: 'Restrict production secrets',
    doc: {
      name: 'Restrict production secrets',
      description: 'Only admins change production credentials',
      statements: [
        {
          sid: 'deny-prod-update',
          effect: 'deny',
          actions: ['secrets:update', 'secrets:delete'],
          principals: '*',
          notPrincipals: { roles: ['Admin'], groups: ['admins'] },
          resources: ['secret:*'],
          conditions: { StringEquals: { 'resource.tag/environment': 'production' } },
        },
      ],
    },
  },
] as const;

export const EMPTY_POLICY = {
  name: 'New policy',
  description: '',
  statements: [{ sid: 'statement-1', effect: 'allow', actions: ['secrets:read'], principals: { roles: ['Developer'] }, resources: ['secret:*'] }],
};

export const pretty = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;
