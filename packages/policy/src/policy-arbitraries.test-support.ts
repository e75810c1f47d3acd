/**
 * fast-check generators for policy documents and authorization requests, shared by the property tests
 * (`policy-properties.test.ts`) and the differential test against Cedar (`policy-cedar.test.ts`).
 *
 * Only the machinery is shared: every pool (ids, roles, groups, action globs, resource patterns, condition
 * operators / keys / operands, effect weights, how often optional fields appear) is a parameter, because
 * the two tests need different ones on purpose. The Cedar test must stay inside what Cedar can express
 * (no `?` globs, no `Like` operators on multi-valued keys, ...), while the property tests roam wider.
 *
 * Each builder composes the fast-check combinators in a fixed order, so the same pools and the same seed
 * generate the same values as before the extraction: runs stay comparable across versions. Reordering
 * the combinators (or the entries of a `fc.record`) changes what a seed produces, so treat that as a
 * change to both tests.
 *
 * Not a test file (vitest includes only `*.test.ts`), and excluded from `tsconfig.build.json` with the
 * tests: it imports fast-check, a dev dependency, which must not reach `dist`.
 */
import fc from 'fast-check';
import type {
  AuthzRequest,
  ConditionOperator,
  Conditions,
  ConditionValue,
  PolicyStatement,
  Principal,
  PrincipalSet,
  ResourceAttrs,
  ResourceKind,
  StoredPolicy,
} from './policy-types.js';
import { ADMIN_ROLE } from './policy-types.js';

export type Effect = PolicyStatement['effect'];

/** `arb` about `percent`% of the time, otherwise undefined. */
export const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary: arb, weight: percent });

/** Who may appear in principal sets and requests. Keep pools small so that statements and requests meet. */
export interface PrincipalPools {
  ids: string[];
  /** Statements draw from all of them; requests hold `ADMIN_ROLE` only by `principalArb`'s dice. */
  roles: string[];
  groups: string[];
}

/** A non-empty `principals` / `notPrincipals` set: any of users, tokens, roles, groups, at least one. */
export const principalSetArb = ({ ids, roles, groups }: PrincipalPools): fc.Arbitrary<PrincipalSet> =>
  fc
    .record(
      {
        users: fc.subarray(ids, { minLength: 1 }),
        tokens: fc.subarray(ids, { minLength: 1 }),
        roles: fc.subarray(roles, { minLength: 1 }),
        groups: fc.subarray(groups, { minLength: 1 }),
      },
      { requiredKeys: [] },
    )
    .filter((s) => Object.keys(s).length > 0);

/** One operand or a short list of them. */
export const operandsArb = (pool: string[]): fc.Arbitrary<string | string[]> =>
  fc.oneof(fc.constantFrom(...pool), fc.subarray(pool, { minLength: 1, maxLength: 3 }));

export interface ConditionPools {
  /** Which operator goes with which key: restrict it to what the test can check. */
  opKeys: fc.Arbitrary<[ConditionOperator, string]>;
  /** The operands an operator draws from (`Null` always takes a boolean). */
  operands: (op: ConditionOperator) => string[];
}

/** One `(operator, key, value)` entry of a conditions block. */
export const conditionArb = ({
  opKeys,
  operands,
}: ConditionPools): fc.Arbitrary<{ op: ConditionOperator; key: string; value: ConditionValue }> =>
  opKeys.chain(([op, key]) => {
    const value: fc.Arbitrary<ConditionValue> = op === 'Null' ? fc.boolean() : operandsArb(operands(op));
    return value.map((v) => ({ op, key, value: v }));
  });

/** A conditions block of one to three entries (a repeated operator and key keeps the last value). */
export const conditionsArb = (
  condition: fc.Arbitrary<{ op: ConditionOperator; key: string; value: ConditionValue }>,
): fc.Arbitrary<Conditions> =>
  fc.array(condition, { minLength: 1, maxLength: 3 }).map((entries) => {
    const out: Conditions = {};
    for (const { op, key, value } of entries) out[op] = { ...out[op], [key]: value };
    return out;
  });

export interface StatementPools extends PrincipalPools {
  actionGlobs: string[];
  resourcePatterns: string[];
  conditions: fc.Arbitrary<Conditions>;
  /** Drawn uniformly: repeat an effect to weight it. */
  effects: Effect[];
  /** How often (in %) each optional field is present. */
  percent: { notPrincipals: number; resources: number; conditions: number };
}

/** A valid statement; `effect` fixes the effect instead of drawing it from `pools.effects`. */
export const statementArb = (pools: StatementPools, effect?: Effect): fc.Arbitrary<PolicyStatement> => {
  const principals = principalSetArb(pools);
  return fc
    .record({
      effect: effect === undefined ? fc.constantFrom(...pools.effects) : fc.constant(effect),
      actions: fc.oneof(fc.constant<string[]>(['*']), fc.subarray(pools.actionGlobs, { minLength: 1, maxLength: 4 })),
      principals: fc.oneof(fc.constant<'*'>('*'), principals),
      notPrincipals: sometimes(principals, pools.percent.notPrincipals),
      resources: sometimes(
        fc.subarray(pools.resourcePatterns, { minLength: 1, maxLength: 2 }),
        pools.percent.resources,
      ),
      conditions: sometimes(pools.conditions, pools.percent.conditions),
    })
    .map((s) => {
      // Leave optional fields out rather than undefined, as a JSON body would.
      const out: PolicyStatement = { effect: s.effect, actions: s.actions, principals: s.principals };
      if (s.notPrincipals !== undefined) out.notPrincipals = s.notPrincipals;
      if (s.resources !== undefined) out.resources = s.resources;
      if (s.conditions !== undefined) out.conditions = s.conditions;
      return out;
    });
};

/**
 * Stored policies `p0`, `p1`, ... from lists of statements. Statements of a policy for which `withSids`
 * holds are named `s0`, `s1`, ...; the others keep no sid, so they are named `statements[i]` by default.
 */
export const toPolicies = (
  docs: PolicyStatement[][],
  withSids: (policyIndex: number) => boolean = () => true,
): StoredPolicy[] =>
  docs.map((statements, i) => ({
    id: `p${i}`,
    name: `policy ${i}`,
    document: {
      name: `policy ${i}`,
      statements: withSids(i) ? statements.map((s, j) => ({ ...s, sid: `s${j}` })) : statements,
    },
  }));

/** Up to six policies of one to five statements each. */
export const policiesArb = (
  statement: fc.Arbitrary<PolicyStatement>,
  withSids?: (policyIndex: number) => boolean,
): fc.Arbitrary<StoredPolicy[]> =>
  fc
    .array(fc.array(statement, { minLength: 1, maxLength: 5 }), { maxLength: 6 })
    .map((docs) => toPolicies(docs, withSids));

export interface PrincipalArbOptions extends PrincipalPools {
  /** Admin is held by about one principal in `adminOneIn`; the other roles are drawn as a subset. */
  adminOneIn: number;
}

/** A requesting user or token. */
export const principalArb = ({ ids, roles, groups, adminOneIn }: PrincipalArbOptions): fc.Arbitrary<Principal> =>
  fc.record({
    type: fc.constantFrom<'user' | 'token'>('user', 'token'),
    id: fc.constantFrom(...ids),
    roles: fc
      .tuple(fc.subarray(roles.filter((r) => r !== ADMIN_ROLE)), fc.nat(adminOneIn - 1))
      .map(([rest, dice]) => (dice === 0 ? [ADMIN_ROLE, ...rest] : rest)),
    groups: fc.subarray(groups),
  });

export interface ResourceArbOptions {
  kind: fc.Arbitrary<ResourceKind>;
  names: string[];
  tags: fc.Arbitrary<Record<string, string>>;
}

/** A resource whose optional attributes (name, secretType, tags) may each be missing. */
export const resourceArb = ({ kind, names, tags }: ResourceArbOptions): fc.Arbitrary<ResourceAttrs> =>
  fc.record(
    {
      kind,
      name: fc.constantFrom(...names),
      secretType: fc.constantFrom('api_key', 'password'),
      tags,
    },
    { requiredKeys: ['kind'] },
  );

export interface RequestArbOptions {
  principal: fc.Arbitrary<Principal>;
  actions: string[];
  resource: fc.Arbitrary<ResourceAttrs>;
  tags: fc.Arbitrary<Record<string, string>>;
}

/** A request, with or without request tags. */
export const requestArb = ({ principal, actions, resource, tags }: RequestArbOptions): fc.Arbitrary<AuthzRequest> =>
  fc.record(
    { principal, action: fc.constantFrom(...actions), resource, requestTags: tags },
    { requiredKeys: ['principal', 'action', 'resource'] },
  );
