/**
 * Differential test: random policy sets are translated to Cedar (an independent, formally verified
 * engine with the same deny-overrides-allow semantics) and both engines must agree on the decision
 * and on which statements decided it, for thousands of random requests.
 *
 * The subset both can express:
 * - actions: names and globs; globs are expanded here, by a separate RegExp, to the contract's actions,
 *   so only contract actions are requested (our engine's glob path for unknown actions is tested elsewhere);
 * - principals / notPrincipals: users and tokens as entity uids, roles and groups as entity parents;
 * - resources: `*` and `<kind>:<glob>` with `*` only (Cedar's `like` has no `?`);
 * - conditions: every operator on single-valued keys (present-checks with `has` / `hasTag`, so no
 *   Cedar evaluation error can silently skip a forbid), and on the multi-valued `principal.roles` /
 *   `principal.groups` every operator except the `Like` ones — Cedar cannot quantify `like` over a set.
 * - Admin is translated too: its built-in allow is a `permit`, and every `forbid` carries an
 *   `unless` for Admin on `policies:*` / `users:*` actions (rule 5).
 *
 * Intended disagreements: none inside this subset. Outside it, actions not in the contract would
 * differ (Cedar has no globs, so they match only `*`-expanded lists here), which is why requests use
 * contract actions only.
 *
 * `NEMBL_CEDAR_RUNS` sets how many random policy sets are tried (default 150, 20 requests each: 3,000 requests).
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as gen from './policy-arbitraries.test-support.js';
import { compilePolicySet } from './policy-compile.js';
import { evaluate } from './policy-evaluate.js';
import type {
  AuthzRequest,
  ConditionOperator,
  PolicyStatement,
  Principal,
  PrincipalSet,
  ResourceAttrs,
  StoredPolicy,
} from './policy-types.js';
import { ACTIONS, ADMIN_ROLE, CONDITION_OPERATORS, RESOURCE_KINDS } from './policy-types.js';

const RUNS = Number(process.env.NEMBL_CEDAR_RUNS ?? 150);
const REQUESTS_PER_SET = 20;
// Cedar takes about a millisecond per request here; a larger NEMBL_CEDAR_RUNS needs a longer timeout.
const TIMEOUT_MS = Math.max(30_000, RUNS * REQUESTS_PER_SET * 5);

const IDS = ['a', 'b'];
const ROLES = [ADMIN_ROLE, 'Developer', 'Runner'];
const GROUPS = ['ops', 'dev'];
const NAMES = ['prod-db', 'prod-api', 'dev-db', 'x'];
const TAG_KEYS = ['env', 'team'];
const TAG_VALUES = ['prod', 'dev', ''];
const ACTION_GLOBS = [...ACTIONS, '*', 'secrets:*', 'workflows:*', '*:read', '*:write', 'policies:*', 'users:*'];
const RESOURCE_PATTERNS = [
  '*',
  'secret:*',
  'secret:prod-*',
  'secret:prod-db',
  'secret:*-db',
  'connector:*',
  'workflow:*',
  'workflow:x',
];
const SINGLE_KEYS = [
  'resource.kind',
  'resource.name',
  'resource.secretType',
  'resource.tag/env',
  'resource.tag/team',
  'principal.id',
  'principal.type',
  'request.tag/env',
];
const MULTI_KEYS = ['principal.roles', 'principal.groups'];
const MULTI_OPERATORS: ConditionOperator[] = [
  'StringEquals',
  'StringNotEquals',
  'ForAnyValue:StringEquals',
  'ForAllValues:StringEquals',
  'Null',
];
const EQUAL_OPERANDS = [
  ...IDS,
  ...ROLES,
  ...GROUPS,
  ...NAMES,
  ...TAG_VALUES,
  'secret',
  'connector',
  'user',
  'token',
  'api_key',
];
const LIKE_OPERANDS = ['prod*', '*', '*-db', 'D*', 'x', 'dev', '*e*'];

// ---------------------------------------------------------------------------------------------
// Random documents and requests within the shared subset, built by the generators shared with
// policy-properties.test.ts from the pools above. The pools and weights are this test's own; changing
// them (or the order of the calls that build the generators) changes what seed 42 produces.

const PRINCIPAL_POOLS = { ids: IDS, roles: ROLES, groups: GROUPS };

const conditionArb = gen.conditionArb({
  // every operator on single-valued keys, only the non-`Like` ones on multi-valued keys (see above)
  opKeys: fc.oneof(
    fc.tuple(fc.constantFrom(...CONDITION_OPERATORS), fc.constantFrom(...SINGLE_KEYS)),
    fc.tuple(fc.constantFrom(...MULTI_OPERATORS), fc.constantFrom(...MULTI_KEYS)),
  ),
  operands: (op) => (op.endsWith('Like') ? LIKE_OPERANDS : EQUAL_OPERANDS),
});

const statementArb = gen.statementArb({
  ...PRINCIPAL_POOLS,
  actionGlobs: ACTION_GLOBS,
  resourcePatterns: RESOURCE_PATTERNS,
  conditions: gen.conditionsArb(conditionArb),
  effects: ['allow', 'allow', 'deny'],
  percent: { notPrincipals: 20, resources: 40, conditions: 50 },
});

// every other policy leaves sids out, to check the default `statements[i]` names too
const policiesArb = gen.policiesArb(statementArb, (i) => i % 2 === 0);

const tagsArb = fc.dictionary(fc.constantFrom(...TAG_KEYS), fc.constantFrom(...TAG_VALUES), { maxKeys: 2 });

const requestArb = gen.requestArb({
  principal: gen.principalArb({ ...PRINCIPAL_POOLS, adminOneIn: 8 }),
  // contract actions only: Cedar knows no others (see above)
  actions: [...ACTIONS],
  // 'secret' about half the time: most resource patterns and condition keys above are about secrets
  resource: gen.resourceArb({
    kind: fc.oneof(fc.constant('secret' as const), fc.constantFrom(...RESOURCE_KINDS)),
    names: NAMES,
    tags: tagsArb,
  }),
  tags: tagsArb,
});

// ---------------------------------------------------------------------------------------------
// Translation to Cedar

const lit = (s: string): string => JSON.stringify(s);
const or = (parts: string[]): string => (parts.length === 0 ? 'false' : `(${parts.join(' || ')})`);
const and = (parts: string[]): string => (parts.length === 0 ? 'true' : `(${parts.join(' && ')})`);

// An oracle for action globs independent of glob-fns.ts.
const expandActions = (globs: readonly string[]): string[] =>
  ACTIONS.filter((a) =>
    globs.some((g) =>
      new RegExp(
        `^${g
          .replace(/[.+^${}()|[\]\\:]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      ).test(a),
    ),
  );

const actionList = (actions: readonly string[]): string => `[${actions.map((a) => `Action::${lit(a)}`).join(', ')}]`;

const principalExpr = (set: PrincipalSet): string =>
  or([
    ...(set.users ?? []).map((id) => `principal == Nembl::User::${lit(id)}`),
    ...(set.tokens ?? []).map((id) => `principal == Nembl::Token::${lit(id)}`),
    ...(set.roles ?? []).map((r) => `principal in Nembl::Role::${lit(r)}`),
    ...(set.groups ?? []).map((g) => `principal in Nembl::Group::${lit(g)}`),
  ]);

const resourceExpr = (patterns: readonly string[]): string =>
  or(
    patterns.map((p) => {
      if (p === '*') return 'true';
      const [kind = '', glob = ''] = p.split(':');
      return `(resource is Res::${kind} && (if resource has name then resource.name else "") like ${lit(glob)})`;
    }),
  );

/** [is present, its value] for a single-valued key. */
const singleKey = (key: string): [string, string] => {
  if (key.startsWith('resource.tag/')) {
    const tag = lit(key.slice('resource.tag/'.length));
    return [`resource.hasTag(${tag})`, `resource.getTag(${tag})`];
  }
  if (key.startsWith('request.tag/')) {
    const tag = lit(key.slice('request.tag/'.length));
    return [`context.tags has ${tag}`, `context.tags[${tag}]`];
  }
  switch (key) {
    case 'resource.kind':
      return ['true', 'resource.kind'];
    case 'resource.name':
      return ['resource has name', 'resource.name'];
    case 'resource.secretType':
      return ['resource has secretType', 'resource.secretType'];
    case 'principal.id':
      return ['true', 'principal.id'];
    case 'principal.type':
      return ['true', '(if principal is Nembl::User then "user" else "token")'];
  }
  throw new Error(`no Cedar translation for ${key}`);
};

const conditionExpr = (op: string, key: string, value: string | boolean | string[]): string => {
  if (MULTI_KEYS.includes(key)) {
    const set = key === 'principal.roles' ? 'principal.roles' : 'principal.groups';
    if (op === 'Null') return value === true ? `${set}.isEmpty()` : `!${set}.isEmpty()`;
    const vals = `[${(typeof value === 'string' ? [value] : (value as string[])).map(lit).join(', ')}]`;
    if (op === 'StringEquals' || op === 'ForAnyValue:StringEquals') return `${set}.containsAny(${vals})`;
    if (op === 'StringNotEquals') return `!${set}.containsAny(${vals})`;
    if (op === 'ForAllValues:StringEquals') return `${vals}.containsAll(${set})`;
    throw new Error(`no Cedar translation for ${op} on ${key}`);
  }
  const [present, v] = singleKey(key);
  if (op === 'Null') return value === true ? `!(${present})` : `(${present})`;
  const operands = typeof value === 'string' ? [value] : (value as string[]);
  const like = op.endsWith('Like');
  const matches = or(operands.map((o) => (like ? `${v} like ${lit(o)}` : `${v} == ${lit(o)}`)));
  if (op.startsWith('ForAllValues:')) return `(!(${present}) || ${matches})`;
  const holds = `(${present} && ${matches})`;
  return op.includes('Not') ? `!${holds}` : holds;
};

const ADMIN_PROTECTED = ACTIONS.filter((a) => a.startsWith('policies:') || a.startsWith('users:'));
const ADMIN_ID = 'builtin:admin/admin';

const statementToCedar = (s: PolicyStatement): string => {
  const when = and([
    s.principals === '*' ? 'true' : principalExpr(s.principals),
    resourceExpr(s.resources ?? ['*']),
    ...Object.entries(s.conditions ?? {}).flatMap(([op, entries]) =>
      Object.entries(entries).map(([key, value]) => conditionExpr(op, key, value)),
    ),
  ]);
  const unless = [
    ...(s.notPrincipals === undefined ? [] : [principalExpr(s.notPrincipals)]),
    ...(s.effect === 'deny'
      ? [`principal in Nembl::Role::${lit(ADMIN_ROLE)} && action in ${actionList(ADMIN_PROTECTED)}`]
      : []),
  ];
  return (
    [
      `${s.effect === 'allow' ? 'permit' : 'forbid'} (principal, action in ${actionList(expandActions(s.actions))}, resource)`,
      `when { ${when} }`,
      ...unless.map((u) => `unless { ${u} }`),
    ].join('\n') + ';'
  );
};

/** Cedar policy ids are `<policyId>/<sid>`, as our explanations name statements. */
const toCedarPolicies = (policies: readonly StoredPolicy[]): Record<string, string> => {
  const out: Record<string, string> = {
    [ADMIN_ID]: `permit (principal in Nembl::Role::${lit(ADMIN_ROLE)}, action, resource);`,
  };
  for (const p of policies) {
    p.document.statements.forEach((s, i) => {
      out[`${p.id}/${s.sid ?? `statements[${i}]`}`] = statementToCedar(s);
    });
  }
  return out;
};

const principalUid = (p: Principal) => ({ type: p.type === 'user' ? 'Nembl::User' : 'Nembl::Token', id: p.id });
const resourceUid = (r: ResourceAttrs) => ({ type: `Res::${r.kind}`, id: r.name ?? '(unnamed)' });

const cedarDecide = (policySetId: string, req: AuthzRequest) => {
  const { principal, resource } = req;
  const attrs: Record<string, string> = { kind: resource.kind };
  if (resource.name !== undefined) attrs.name = resource.name;
  if (resource.secretType !== undefined) attrs.secretType = resource.secretType;
  const answer = cedar.statefulIsAuthorized({
    principal: principalUid(principal),
    action: { type: 'Action', id: req.action },
    resource: resourceUid(resource),
    context: { tags: { ...req.requestTags } },
    preparsedPolicySetId: policySetId,
    entities: [
      {
        uid: principalUid(principal),
        attrs: { id: principal.id, roles: [...principal.roles], groups: [...principal.groups] },
        parents: [
          ...principal.roles.map((r) => ({ type: 'Nembl::Role', id: r })),
          ...principal.groups.map((g) => ({ type: 'Nembl::Group', id: g })),
        ],
      },
      { uid: resourceUid(resource), attrs, parents: [], tags: { ...resource.tags } },
    ],
  });
  if (answer.type !== 'success') throw new Error(`Cedar failed: ${JSON.stringify(answer.errors)}`);
  // An evaluation error would make Cedar skip a policy, hiding a disagreement.
  expect(answer.response.diagnostics.errors).toEqual([]);
  return { decision: answer.response.decision, matched: [...answer.response.diagnostics.reason].sort() };
};

const ours = (policies: readonly StoredPolicy[], req: AuthzRequest) => {
  const d = evaluate(compilePolicySet(policies), req);
  return { decision: d.decision, matched: d.matched.map((m) => `${m.policyId}/${m.sid}`).sort() };
};

describe('differential test against Cedar', () => {
  it('translates a hand-written set the way we expect', () => {
    const policies: StoredPolicy[] = [
      {
        id: 'restrict',
        name: 'Restrict production secrets',
        document: {
          name: 'Restrict production secrets',
          statements: [
            {
              sid: 'deny-prod-update',
              effect: 'deny',
              actions: ['secrets:update', 'secrets:delete'],
              principals: '*',
              notPrincipals: { roles: [ADMIN_ROLE], groups: ['admins'] },
              resources: ['secret:*'],
              conditions: { StringEquals: { 'resource.tag/environment': 'production' } },
            },
            { sid: 'allow', effect: 'allow', actions: ['secrets:*'], principals: { roles: ['Developer'] } },
          ],
        },
      },
    ];
    expect(cedar.preparsePolicySet('hand-written', { staticPolicies: toCedarPolicies(policies) })).toEqual({
      type: 'success',
    });
    const dev: Principal = { type: 'user', id: 'a', roles: ['Developer'], groups: [] };
    const prod: ResourceAttrs = { kind: 'secret', name: 'db', tags: { environment: 'production' } };
    for (const action of ['secrets:update', 'secrets:read']) {
      const req = { principal: dev, action, resource: prod };
      expect(cedarDecide('hand-written', req)).toEqual(ours(policies, req));
    }
    expect(ours(policies, { principal: dev, action: 'secrets:update', resource: prod }).decision).toBe('deny');
  });

  it(
    'agrees with Cedar on the decision and the deciding statements for random policy sets',
    () => {
      fc.assert(
        fc.property(
          policiesArb,
          fc.array(requestArb, { minLength: REQUESTS_PER_SET, maxLength: REQUESTS_PER_SET }),
          (policies, requests) => {
            // One id, re-parsed for every set, keeps Cedar's cache from growing over long runs.
            const id = 'random';
            const parsed = cedar.preparsePolicySet(id, { staticPolicies: toCedarPolicies(policies) });
            if (parsed.type !== 'success')
              throw new Error(`Cedar rejected the translation: ${JSON.stringify(parsed.errors)}`);
            const set = compilePolicySet(policies);
            for (const req of requests) {
              const d = evaluate(set, req);
              const mine = { decision: d.decision, matched: d.matched.map((m) => `${m.policyId}/${m.sid}`).sort() };
              expect(mine).toEqual(cedarDecide(id, req));
            }
          },
        ),
        { seed: 42, numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
