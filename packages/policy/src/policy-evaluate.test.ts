import { describe, expect, it } from 'vitest';
import { compilePolicySet } from './policy-compile.js';
import { createAuthorizer, evaluate, evaluateChange } from './policy-evaluate.js';
import { parsePolicyDocument } from './policy-parse.js';
import type {
  AuthzRequest,
  ConditionValue,
  PolicyDocument,
  PolicyStatement,
  Principal,
  ResourceAttrs,
  StoredPolicy,
} from './policy-types.js';

const user = (over: Partial<Principal> = {}): Principal => ({
  type: 'user',
  id: 'u-1',
  roles: [],
  groups: [],
  ...over,
});
const admin = user({ id: 'u-admin', roles: ['Admin'] });
const developer = user({ id: 'u-dev', roles: ['Developer'], groups: ['backend'] });
const runner: Principal = { type: 'token', id: 't-run', roles: ['Runner'], groups: [] };

const secret = (name: string, tags?: Record<string, string>, secretType?: string): ResourceAttrs => {
  const r: ResourceAttrs = { kind: 'secret', name };
  if (tags !== undefined) r.tags = tags;
  if (secretType !== undefined) r.secretType = secretType;
  return r;
};

const stored = (id: string, document: PolicyDocument): StoredPolicy => ({ id, name: document.name, document });
const policy = (id: string, statements: PolicyStatement[]): StoredPolicy =>
  stored(id, { name: `name-${id}`, statements });
const setOf = (...policies: StoredPolicy[]) => compilePolicySet(policies);

const req = (
  principal: Principal,
  action: string,
  resource: ResourceAttrs,
  requestTags?: Record<string, string>,
): AuthzRequest =>
  requestTags === undefined ? { principal, action, resource } : { principal, action, resource, requestTags };

describe('condition operators', () => {
  /** True when a single allow guarded by `{ operator: { key: value } }` applies to the request. */
  const holds = (operator: string, key: string, value: ConditionValue, request: AuthzRequest): boolean => {
    const set = setOf(
      policy('p', [
        { sid: 'c', effect: 'allow', actions: ['*'], principals: '*', conditions: { [operator]: { [key]: value } } },
      ]),
    );
    return evaluate(set, request).decision === 'allow';
  };

  const prodDb = req(developer, 'secrets:read', secret('prod-db', { env: 'prod' }, 'api_key'), { env: 'staging' });
  const bare = req({ type: 'token', id: 't-1', roles: [], groups: [] }, 'secrets:read', {
    kind: 'secret',
    name: 'prod-db',
  });
  const twoRoles = req(
    user({ roles: ['Developer', 'Ops'], groups: ['backend', 'oncall'] }),
    'secrets:read',
    secret('x'),
  );

  const requests = { prodDb, bare, twoRoles };

  // [operator, key, value, request, holds]
  const table: [string, string, ConditionValue, keyof typeof requests, boolean][] = [
    // single-valued keys, present
    ['StringEquals', 'resource.kind', 'secret', 'prodDb', true],
    ['StringEquals', 'resource.kind', 'connector', 'prodDb', false],
    ['StringEquals', 'resource.kind', ['connector', 'secret'], 'prodDb', true],
    ['StringEquals', 'resource.name', 'prod-db', 'prodDb', true],
    ['StringEquals', 'resource.name', 'Prod-db', 'prodDb', false],
    ['StringEquals', 'resource.secretType', 'api_key', 'prodDb', true],
    ['StringEquals', 'resource.tag/env', 'prod', 'prodDb', true],
    ['StringEquals', 'resource.tag/env', ['dev', 'prod'], 'prodDb', true],
    ['StringEquals', 'resource.tag/env', 'dev', 'prodDb', false],
    ['StringEquals', 'principal.id', 'u-dev', 'prodDb', true],
    ['StringEquals', 'principal.type', 'user', 'prodDb', true],
    ['StringEquals', 'principal.type', 'token', 'prodDb', false],
    ['StringEquals', 'request.tag/env', 'staging', 'prodDb', true],
    ['StringNotEquals', 'resource.tag/env', 'prod', 'prodDb', false],
    ['StringNotEquals', 'resource.tag/env', ['dev', 'staging'], 'prodDb', true],
    ['StringNotEquals', 'resource.tag/env', ['dev', 'prod'], 'prodDb', false],
    ['StringLike', 'resource.name', 'prod-*', 'prodDb', true],
    ['StringLike', 'resource.name', 'prod-?', 'prodDb', false],
    ['StringLike', 'resource.name', ['dev-*', '*-db'], 'prodDb', true],
    ['StringNotLike', 'resource.name', 'prod-*', 'prodDb', false],
    ['StringNotLike', 'resource.name', ['dev-*', 'x*'], 'prodDb', true],
    ['Null', 'resource.tag/env', false, 'prodDb', true],
    ['Null', 'resource.tag/env', true, 'prodDb', false],
    ['Null', 'resource.tag/env', 'false', 'prodDb', true],
    ['Null', 'request.tag/env', true, 'prodDb', false],
    ['ForAnyValue:StringEquals', 'resource.tag/env', 'prod', 'prodDb', true],
    ['ForAnyValue:StringLike', 'resource.tag/env', 'p*', 'prodDb', true],
    ['ForAllValues:StringEquals', 'resource.tag/env', ['prod', 'dev'], 'prodDb', true],
    ['ForAllValues:StringEquals', 'resource.tag/env', 'dev', 'prodDb', false],
    ['ForAllValues:StringLike', 'resource.tag/env', 'd*', 'prodDb', false],

    // missing single-valued keys (rule 4): positive false, negated true, ForAll true, ForAny false
    ['StringEquals', 'resource.tag/env', 'prod', 'bare', false],
    ['StringNotEquals', 'resource.tag/env', 'prod', 'bare', true],
    ['StringLike', 'resource.tag/env', '*', 'bare', false],
    ['StringNotLike', 'resource.tag/env', '*', 'bare', true],
    ['Null', 'resource.tag/env', true, 'bare', true],
    ['Null', 'resource.tag/env', 'true', 'bare', true],
    ['Null', 'resource.tag/env', false, 'bare', false],
    ['ForAnyValue:StringEquals', 'resource.tag/env', 'prod', 'bare', false],
    ['ForAnyValue:StringLike', 'resource.tag/env', '*', 'bare', false],
    ['ForAllValues:StringEquals', 'resource.tag/env', 'prod', 'bare', true],
    ['ForAllValues:StringLike', 'resource.tag/env', 'x', 'bare', true],
    ['StringEquals', 'resource.secretType', 'api_key', 'bare', false],
    ['Null', 'resource.secretType', true, 'bare', true],
    ['StringNotEquals', 'request.tag/env', 'prod', 'bare', true],
    ['Null', 'request.tag/env', true, 'bare', true],
    ['StringEquals', 'principal.type', 'token', 'bare', true],
    ['StringEquals', 'principal.id', 't-1', 'bare', true],
    // a tag named like an Object.prototype member is still missing
    ['Null', 'resource.tag/constructor', true, 'bare', true],
    ['StringLike', 'resource.tag/constructor', '*', 'bare', false],

    // multi-valued keys: plain operators hold for any value; negated ones when none matches
    ['StringEquals', 'principal.roles', 'Ops', 'twoRoles', true],
    ['StringEquals', 'principal.roles', 'Viewer', 'twoRoles', false],
    ['StringEquals', 'principal.groups', ['x', 'oncall'], 'twoRoles', true],
    ['StringNotEquals', 'principal.roles', 'Ops', 'twoRoles', false],
    ['StringNotEquals', 'principal.roles', 'Viewer', 'twoRoles', true],
    ['StringLike', 'principal.groups', 'on*', 'twoRoles', true],
    ['StringNotLike', 'principal.groups', 'on*', 'twoRoles', false],
    ['StringNotLike', 'principal.groups', 'front*', 'twoRoles', true],
    ['ForAnyValue:StringEquals', 'principal.roles', ['Viewer', 'Developer'], 'twoRoles', true],
    ['ForAnyValue:StringEquals', 'principal.roles', ['Viewer'], 'twoRoles', false],
    ['ForAnyValue:StringLike', 'principal.groups', 'back*', 'twoRoles', true],
    ['ForAllValues:StringEquals', 'principal.roles', ['Developer', 'Ops', 'Viewer'], 'twoRoles', true],
    ['ForAllValues:StringEquals', 'principal.roles', ['Developer'], 'twoRoles', false],
    ['ForAllValues:StringLike', 'principal.groups', ['back*', 'on*'], 'twoRoles', true],
    ['ForAllValues:StringLike', 'principal.groups', 'back*', 'twoRoles', false],
    ['Null', 'principal.roles', false, 'twoRoles', true],
    ['Null', 'principal.roles', true, 'twoRoles', false],

    // empty sets: ForAllValues true, ForAnyValue false, plain false, negated true, Null true
    ['ForAllValues:StringEquals', 'principal.roles', 'Developer', 'bare', true],
    ['ForAllValues:StringLike', 'principal.groups', 'x*', 'bare', true],
    ['ForAnyValue:StringEquals', 'principal.roles', 'Developer', 'bare', false],
    ['ForAnyValue:StringLike', 'principal.groups', '*', 'bare', false],
    ['StringEquals', 'principal.roles', 'Developer', 'bare', false],
    ['StringNotEquals', 'principal.roles', 'Developer', 'bare', true],
    ['StringLike', 'principal.roles', '*', 'bare', false],
    ['StringNotLike', 'principal.roles', '*', 'bare', true],
    ['Null', 'principal.groups', true, 'bare', true],
  ];

  it.each(table)('%s { %s: %j } on %s holds: %s', (operator, key, value, on, expected) => {
    expect(holds(operator, key, value, requests[on])).toBe(expected);
  });

  it('requires every operator and every key to hold', () => {
    const set = setOf(
      policy('p', [
        {
          sid: 'all',
          effect: 'allow',
          actions: ['secrets:read'],
          principals: '*',
          conditions: {
            StringEquals: { 'resource.tag/env': 'prod', 'principal.type': 'user' },
            StringLike: { 'resource.name': 'prod-*' },
          },
        },
      ]),
    );
    expect(evaluate(set, prodDb).decision).toBe('allow');
    expect(evaluate(set, req(developer, 'secrets:read', secret('prod-db', { env: 'dev' }))).decision).toBe('deny');
    expect(evaluate(set, req(runner, 'secrets:read', secret('prod-db', { env: 'prod' }))).decision).toBe('deny');
    expect(evaluate(set, req(developer, 'secrets:read', secret('dev-db', { env: 'prod' }))).decision).toBe('deny');
  });

  it('makes a deny written with StringNotEquals fail closed when the tag is missing', () => {
    const set = setOf(
      policy('p', [
        { sid: 'allow', effect: 'allow', actions: ['secrets:read'], principals: '*' },
        {
          sid: 'only-tagged',
          effect: 'deny',
          actions: ['secrets:read'],
          principals: '*',
          conditions: { StringNotEquals: { 'resource.tag/team': 'payments' } },
        },
      ]),
    );
    expect(evaluate(set, req(developer, 'secrets:read', secret('a'))).decision).toBe('deny');
    expect(evaluate(set, req(developer, 'secrets:read', secret('a', { team: 'payments' }))).decision).toBe('allow');
  });
});

describe('statement matching', () => {
  const allow = (over: Partial<PolicyStatement>): PolicyStatement => ({
    sid: 's',
    effect: 'allow',
    actions: ['*'],
    principals: '*',
    ...over,
  });
  const allowed = (statement: PolicyStatement, request: AuthzRequest) =>
    evaluate(setOf(policy('p', [statement])), request).decision === 'allow';

  it('matches action globs case-sensitively', () => {
    const st = allow({ actions: ['secrets:read*', 'workflows:?un'] });
    expect(allowed(st, req(developer, 'secrets:read_value', secret('a')))).toBe(true);
    expect(allowed(st, req(developer, 'workflows:run', secret('a')))).toBe(true);
    expect(allowed(st, req(developer, 'Secrets:read', secret('a')))).toBe(false);
    expect(allowed(st, req(developer, 'secrets:use', secret('a')))).toBe(false);
  });

  it('matches users by user id and tokens by token id, never across types', () => {
    const st = allow({ principals: { users: ['same-id'] } });
    expect(allowed(st, req(user({ id: 'same-id' }), 'secrets:read', secret('a')))).toBe(true);
    expect(allowed(st, req({ type: 'token', id: 'same-id', roles: [], groups: [] }, 'secrets:read', secret('a')))).toBe(
      false,
    );
    const tokens = allow({ principals: { tokens: ['same-id'] } });
    expect(
      allowed(tokens, req({ type: 'token', id: 'same-id', roles: [], groups: [] }, 'secrets:read', secret('a'))),
    ).toBe(true);
    expect(allowed(tokens, req(user({ id: 'same-id' }), 'secrets:read', secret('a')))).toBe(false);
  });

  it('matches a principal by any listed role or group', () => {
    const st = allow({ principals: { roles: ['Viewer'], groups: ['backend'] } });
    expect(allowed(st, req(developer, 'secrets:read', secret('a')))).toBe(true);
    expect(allowed(st, req(user({ roles: ['Viewer'] }), 'secrets:read', secret('a')))).toBe(true);
    expect(allowed(st, req(user({ roles: ['Runner'], groups: ['frontend'] }), 'secrets:read', secret('a')))).toBe(
      false,
    );
  });

  it('excludes notPrincipals by id, role or group', () => {
    const st = allow({ notPrincipals: { groups: ['backend'], users: ['u-9'] } });
    expect(allowed(st, req(developer, 'secrets:read', secret('a')))).toBe(false);
    expect(allowed(st, req(user({ id: 'u-9' }), 'secrets:read', secret('a')))).toBe(false);
    expect(allowed(st, req(user({ id: 'u-8' }), 'secrets:read', secret('a')))).toBe(true);
  });

  it('matches resource patterns by kind and name glob', () => {
    const st = allow({ resources: ['secret:prod-*', 'connector:github'] });
    expect(allowed(st, req(developer, 'secrets:read', secret('prod-db')))).toBe(true);
    expect(allowed(st, req(developer, 'secrets:read', secret('dev-db')))).toBe(false);
    expect(allowed(st, req(developer, 'connectors:read', { kind: 'connector', name: 'github' }))).toBe(true);
    expect(allowed(st, req(developer, 'connectors:read', { kind: 'connector', name: 'github-2' }))).toBe(false);
    // a secret pattern never matches a workflow of the same name
    expect(allowed(st, req(developer, 'workflows:read', { kind: 'workflow', name: 'prod-db' }))).toBe(false);
  });

  it('matches policies, users, tokens and audit only with "*"', () => {
    const named = allow({ resources: ['secret:*', 'connector:*', 'workflow:*'] });
    const everything = allow({ resources: ['*'] });
    for (const kind of ['policy', 'user', 'token', 'audit'] as const) {
      expect(allowed(named, req(developer, 'audit:read', { kind }))).toBe(false);
      expect(allowed(everything, req(developer, 'audit:read', { kind }))).toBe(true);
    }
  });

  it('defaults resources to everything', () => {
    expect(allowed(allow({}), req(developer, 'audit:read', { kind: 'audit' }))).toBe(true);
  });

  it('lets "secret:*" cover a secret without a name but not a name glob', () => {
    expect(allowed(allow({ resources: ['secret:*'] }), req(developer, 'secrets:create', { kind: 'secret' }))).toBe(
      true,
    );
    expect(allowed(allow({ resources: ['secret:prod-*'] }), req(developer, 'secrets:create', { kind: 'secret' }))).toBe(
      false,
    );
  });

  it('still decides actions outside the contract by their globs', () => {
    expect(allowed(allow({ actions: ['*'] }), req(developer, 'reports:read', secret('a')))).toBe(true);
    expect(allowed(allow({ actions: ['secrets:*'] }), req(developer, 'reports:read', secret('a')))).toBe(false);
  });
});

describe('decisions and explanations', () => {
  it('denies implicitly with no matches when nothing applies', () => {
    expect(evaluate(setOf(), req(developer, 'secrets:read', secret('a')))).toEqual({
      decision: 'deny',
      reason: 'implicit_deny',
      matched: [],
    });
  });

  it('lists every applicable allow, by policy and sid', () => {
    const set = setOf(
      policy('p2', [{ sid: 'b', effect: 'allow', actions: ['secrets:read'], principals: { roles: ['Developer'] } }]),
      policy('p1', [
        { sid: 'a', effect: 'allow', actions: ['secrets:*'], principals: '*' },
        { sid: 'unrelated', effect: 'allow', actions: ['audit:read'], principals: '*' },
      ]),
    );
    expect(evaluate(set, req(developer, 'secrets:read', secret('a')))).toEqual({
      decision: 'allow',
      reason: 'explicit_allow',
      matched: [
        { policyId: 'p1', policyName: 'name-p1', sid: 'a' },
        { policyId: 'p2', policyName: 'name-p2', sid: 'b' },
      ],
    });
  });

  it('explains a deny by the applicable denies only', () => {
    const set = setOf(
      policy('p', [
        { sid: 'allow', effect: 'allow', actions: ['*'], principals: '*' },
        { sid: 'deny-dev', effect: 'deny', actions: ['secrets:delete'], principals: { roles: ['Developer'] } },
        { sid: 'deny-other', effect: 'deny', actions: ['secrets:delete'], principals: { roles: ['Viewer'] } },
      ]),
    );
    expect(evaluate(set, req(developer, 'secrets:delete', secret('a')))).toEqual({
      decision: 'deny',
      reason: 'explicit_deny',
      matched: [{ policyId: 'p', policyName: 'name-p', sid: 'deny-dev' }],
    });
  });

  it('names statements without a sid by their position', () => {
    const set = setOf(
      policy('p', [
        { sid: 'first', effect: 'allow', actions: ['audit:read'], principals: '*' },
        { effect: 'allow', actions: ['secrets:read'], principals: '*' },
      ]),
    );
    expect(evaluate(set, req(developer, 'secrets:read', secret('a'))).matched).toEqual([
      { policyId: 'p', policyName: 'name-p', sid: 'statements[1]' },
    ]);
  });

  it('lists a statement once when the same policy is given twice', () => {
    const p = policy('p', [{ sid: 'a', effect: 'allow', actions: ['*'], principals: '*' }]);
    expect(evaluate(setOf(p, p), req(developer, 'secrets:read', secret('a'))).matched).toHaveLength(1);
  });

  it('decides the same through createAuthorizer as through evaluate', () => {
    const set = setOf(
      policy('p', [
        { sid: 'a', effect: 'allow', actions: ['secrets:read'], principals: { roles: ['Developer'] } },
        {
          sid: 'd',
          effect: 'deny',
          actions: ['secrets:read'],
          principals: '*',
          conditions: { StringEquals: { 'resource.tag/env': 'prod', 'request.tag/x': 'y' } },
        },
      ]),
    );
    const authorize = createAuthorizer(set, developer, 'secrets:read');
    for (const resource of [secret('a'), secret('b', { env: 'prod' }), { kind: 'audit' } as const]) {
      for (const tags of [undefined, { x: 'y' }]) {
        expect(authorize(resource, tags)).toEqual(evaluate(set, req(developer, 'secrets:read', resource, tags)));
      }
    }
  });

  it('rejects a stored policy that no longer validates instead of ignoring it', () => {
    const broken = stored('bad', {
      name: 'bad',
      statements: [{ effect: 'deny', actions: ['secrets:reed'], principals: '*' }],
    });
    expect(() => setOf(broken)).toThrow(/policy bad is invalid: statements\[0\]\.actions\[0\]/);
  });

  it('is not affected by later changes to the documents it compiled', () => {
    const statements: PolicyStatement[] = [{ sid: 'a', effect: 'allow', actions: ['secrets:read'], principals: '*' }];
    const set = setOf(policy('p', statements));
    statements[0]!.effect = 'deny';
    expect(evaluate(set, req(developer, 'secrets:read', secret('a'))).decision).toBe('allow');
  });
});

describe("the seed's three patterns", () => {
  it('Only admins can create secrets', () => {
    const set = setOf(
      policy('only-admins', [
        { sid: 'allow-dev-read', effect: 'allow', actions: ['secrets:*'], principals: { roles: ['Developer'] } },
        {
          sid: 'deny-create',
          effect: 'deny',
          actions: ['secrets:create'],
          principals: '*',
          notPrincipals: { roles: ['Admin'] },
        },
      ]),
    );
    expect(evaluate(set, req(admin, 'secrets:create', secret('new'))).decision).toBe('allow');
    expect(evaluate(set, req(developer, 'secrets:create', secret('new')))).toMatchObject({
      decision: 'deny',
      reason: 'explicit_deny',
      matched: [{ sid: 'deny-create' }],
    });
    // without the optional deny, default deny alone keeps non-admins out
    expect(evaluate(setOf(), req(developer, 'secrets:create', secret('new'))).reason).toBe('implicit_deny');
    expect(evaluate(setOf(), req(admin, 'secrets:create', secret('new'))).decision).toBe('allow');
  });

  describe('Developers can use but not view secrets', () => {
    const set = setOf(
      policy('dev', [
        {
          sid: 'allow-use',
          effect: 'allow',
          actions: ['secrets:read', 'secrets:use'],
          principals: { roles: ['Developer'] },
        },
        { sid: 'deny-view', effect: 'deny', actions: ['secrets:read_value'], principals: { roles: ['Developer'] } },
      ]),
      policy('runners', [
        { sid: 'runner', effect: 'allow', actions: ['secrets:read_value'], principals: { roles: ['Runner'] } },
      ]),
      policy('everyone', [
        { sid: 'all-read-value', effect: 'allow', actions: ['secrets:read_value'], principals: '*' },
      ]),
    );

    it('lets a Developer read metadata and use a secret', () => {
      expect(evaluate(set, req(developer, 'secrets:read', secret('db'))).decision).toBe('allow');
      expect(evaluate(set, req(developer, 'secrets:use', secret('db'))).decision).toBe('allow');
    });

    it('denies a Developer read_value even though another policy allows it', () => {
      expect(evaluate(set, req(developer, 'secrets:read_value', secret('db')))).toEqual({
        decision: 'deny',
        reason: 'explicit_deny',
        matched: [{ policyId: 'dev', policyName: 'name-dev', sid: 'deny-view' }],
      });
    });

    it('lets a Runner token read the value', () => {
      expect(evaluate(set, req(runner, 'secrets:read_value', secret('db'))).decision).toBe('allow');
    });
  });

  describe('Restrict production secrets', () => {
    const restrict = stored('restrict', {
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
    });
    const everyoneUpdates = policy('update', [
      { sid: 'update', effect: 'allow', actions: ['secrets:update', 'secrets:delete'], principals: '*' },
    ]);
    const set = setOf(restrict, everyoneUpdates);
    const prod = secret('db', { environment: 'production' });
    const staging = secret('db', { environment: 'staging' });

    it('denies a non-admin updating or deleting a production secret', () => {
      expect(evaluate(set, req(developer, 'secrets:update', prod))).toEqual({
        decision: 'deny',
        reason: 'explicit_deny',
        matched: [{ policyId: 'restrict', policyName: 'Restrict production secrets', sid: 'deny-prod-update' }],
      });
      expect(evaluate(set, req(developer, 'secrets:delete', prod)).decision).toBe('deny');
    });

    it('lets a non-admin update a staging secret', () => {
      expect(evaluate(set, req(developer, 'secrets:update', staging)).decision).toBe('allow');
    });

    it('lets admins and the admins group change production secrets', () => {
      expect(evaluate(set, req(admin, 'secrets:update', prod)).decision).toBe('allow');
      expect(evaluate(set, req(user({ groups: ['admins'] }), 'secrets:update', prod)).decision).toBe('allow');
    });

    it('denies moving a secret into production, and out of it (as it is and as it would be)', () => {
      const into = evaluateChange(set, req(developer, 'secrets:update', staging, { environment: 'production' }), prod);
      expect(into).toMatchObject({ decision: 'deny', reason: 'explicit_deny', matched: [{ sid: 'deny-prod-update' }] });
      const outOf = evaluateChange(set, req(developer, 'secrets:update', prod, { environment: 'staging' }), staging);
      expect(outOf).toMatchObject({ decision: 'deny', reason: 'explicit_deny' });
    });
  });
});

describe('Admin', () => {
  const lockout = policy('lockout', [
    { sid: 'no-policies', effect: 'deny', actions: ['policies:*'], principals: '*' },
    { sid: 'no-users', effect: 'deny', actions: ['users:*'], principals: { roles: ['Admin'] } },
    { sid: 'no-values', effect: 'deny', actions: ['secrets:read_value'], principals: '*' },
    {
      sid: 'no-everything',
      effect: 'deny',
      actions: ['*'],
      principals: { roles: ['Admin'] },
      resources: ['connector:*'],
    },
  ]);
  const set = setOf(lockout);

  it('is allowed everything by the built-in policy', () => {
    expect(evaluate(setOf(), req(admin, 'tokens:write', { kind: 'token' }))).toEqual({
      decision: 'allow',
      reason: 'explicit_allow',
      matched: [{ policyId: 'builtin:admin', policyName: 'builtin:admin', sid: 'admin' }],
    });
  });

  it('lists the built-in allow first, then other applicable allows', () => {
    const s = setOf(policy('p', [{ sid: 'a', effect: 'allow', actions: ['*'], principals: '*' }]));
    expect(evaluate(s, req(admin, 'secrets:read', secret('x'))).matched.map((m) => m.sid)).toEqual(['admin', 'a']);
  });

  it('lets a lockout policy be saved, though it cannot take effect', () => {
    expect(parsePolicyDocument(lockout.document).ok).toBe(true);
  });

  it('cannot be locked out of policies:* or users:* by any deny', () => {
    for (const action of ['policies:read', 'policies:write', 'users:read', 'users:write']) {
      const d = evaluate(set, req(admin, action, { kind: action.startsWith('users') ? 'user' : 'policy' }));
      expect(d.decision).toBe('allow');
      expect(d.matched.map((m) => m.policyId)).toEqual(['builtin:admin']);
    }
  });

  it('is still subject to a deny on secrets:read_value', () => {
    expect(evaluate(set, req(admin, 'secrets:read_value', secret('db')))).toMatchObject({
      decision: 'deny',
      reason: 'explicit_deny',
      matched: [{ sid: 'no-values' }],
    });
  });

  it('is still subject to a deny on any other action', () => {
    expect(evaluate(set, req(admin, 'connectors:update', { kind: 'connector', name: 'gh' })).decision).toBe('deny');
  });

  it('does not shield non-admins from a policies:* deny', () => {
    const s = setOf(lockout, policy('allow', [{ sid: 'a', effect: 'allow', actions: ['*'], principals: '*' }]));
    expect(evaluate(s, req(developer, 'policies:read', { kind: 'policy' })).decision).toBe('deny');
  });

  it('is recognised on service tokens too', () => {
    const token: Principal = { type: 'token', id: 't', roles: ['Admin'], groups: [] };
    expect(evaluate(set, req(token, 'users:write', { kind: 'user' })).decision).toBe('allow');
  });

  it('is the role named exactly "Admin"', () => {
    expect(evaluate(setOf(), req(user({ roles: ['admin'] }), 'secrets:read', secret('a'))).decision).toBe('deny');
  });
});

describe('evaluateChange', () => {
  const set = setOf(
    policy('p', [
      { sid: 'update', effect: 'allow', actions: ['secrets:update'], principals: '*' },
      {
        sid: 'team-only',
        effect: 'allow',
        actions: ['secrets:create'],
        principals: { groups: ['backend'] },
        conditions: { StringEquals: { 'resource.tag/team': 'backend' } },
      },
      {
        sid: 'no-pci',
        effect: 'deny',
        actions: ['secrets:update'],
        principals: '*',
        conditions: { StringEquals: { 'resource.tag/pci': 'yes' } },
      },
    ]),
  );

  it('allows when both sides allow and lists the allows once', () => {
    const d = evaluateChange(set, req(developer, 'secrets:update', secret('a', { t: '1' })), secret('a', { t: '2' }));
    expect(d).toEqual({
      decision: 'allow',
      reason: 'explicit_allow',
      matched: [{ policyId: 'p', policyName: 'name-p', sid: 'update' }],
    });
  });

  it('denies when only the resulting tags are denied and explains by that side', () => {
    const d = evaluateChange(set, req(developer, 'secrets:update', secret('a')), secret('a', { pci: 'yes' }));
    expect(d).toMatchObject({ decision: 'deny', reason: 'explicit_deny', matched: [{ sid: 'no-pci' }] });
  });

  it('denies when only the current tags are denied', () => {
    const d = evaluateChange(set, req(developer, 'secrets:update', secret('a', { pci: 'yes' })), secret('a'));
    expect(d).toMatchObject({ decision: 'deny', reason: 'explicit_deny', matched: [{ sid: 'no-pci' }] });
  });

  it('checks a create against the requested tags', () => {
    const creating = req(developer, 'secrets:create', secret('new', { team: 'backend' }), { team: 'backend' });
    expect(evaluateChange(set, creating, secret('new', { team: 'backend' })).decision).toBe('allow');
    const wrongTeam = secret('new', { team: 'frontend' });
    expect(evaluateChange(set, req(developer, 'secrets:create', wrongTeam), wrongTeam).reason).toBe('implicit_deny');
  });

  it('prefers an explicit deny to an implicit one when both sides deny', () => {
    const s = setOf(
      policy('p', [
        {
          sid: 'd',
          effect: 'deny',
          actions: ['secrets:update'],
          principals: '*',
          conditions: { StringEquals: { 'resource.tag/pci': 'yes' } },
        },
      ]),
    );
    const d = evaluateChange(s, req(developer, 'secrets:update', secret('a')), secret('a', { pci: 'yes' }));
    expect(d).toMatchObject({ decision: 'deny', reason: 'explicit_deny', matched: [{ sid: 'd' }] });
  });
});
