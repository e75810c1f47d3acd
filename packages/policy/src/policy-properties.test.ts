/**
 * Properties of evaluation (`policy.md`, rules 2, 3 and 5) over random, valid policy sets.
 * Pools are small on purpose so that random statements and requests actually meet.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as gen from './policy-arbitraries.test-support.js';
import { compilePolicySet } from './policy-compile.js';
import { createAuthorizer, evaluate, evaluateChange } from './policy-evaluate.js';
import type { AuthzRequest, PolicyStatement } from './policy-types.js';
import { ACTIONS, ADMIN_ROLE, CONDITION_OPERATORS, RESOURCE_KINDS } from './policy-types.js';

const RUNS = { seed: 42, numRuns: 250 };

const IDS = ['a', 'b'];
const ROLES = [ADMIN_ROLE, 'Developer', 'Viewer', 'Runner'];
const GROUPS = ['backend', 'ops'];
const NAMES = ['db', 'prod-db', 'prod-api', 'deploy-1', 'github'];
const TAG_VALUES = ['prod', 'dev', ''];
const ACTION_GLOBS = [
  ...ACTIONS,
  '*',
  'secrets:*',
  'workflows:*',
  '*:read',
  'secrets:read*',
  'policies:*',
  'users:*',
  '*:?rite',
];
const RESOURCE_PATTERNS = [
  '*',
  'secret:*',
  'secret:prod-*',
  'secret:db',
  'connector:*',
  'workflow:deploy-?',
  'workflow:*',
];
const CONDITION_KEYS = [
  'resource.kind',
  'resource.name',
  'resource.secretType',
  'resource.tag/env',
  'resource.tag/team',
  'principal.id',
  'principal.type',
  'principal.roles',
  'principal.groups',
  'request.tag/env',
];
const OPERANDS = [
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
  'prod*',
  '*',
  '?b',
  'D*',
];

// The generators are shared with policy-cedar.test.ts (built from each test's own pools); changing
// the pools, the weights or the order of the calls below changes what seed 42 produces.
const PRINCIPAL_POOLS = { ids: IDS, roles: ROLES, groups: GROUPS };

const conditionsArb = gen.conditionsArb(
  gen.conditionArb({
    // every operator on every key, `Like` ones included on multi-valued keys
    opKeys: fc.tuple(fc.constantFrom(...CONDITION_OPERATORS), fc.constantFrom(...CONDITION_KEYS)),
    operands: () => OPERANDS,
  }),
);

const statementArb = (effect?: 'allow' | 'deny'): fc.Arbitrary<PolicyStatement> =>
  gen.statementArb(
    {
      ...PRINCIPAL_POOLS,
      actionGlobs: ACTION_GLOBS,
      resourcePatterns: RESOURCE_PATTERNS,
      conditions: conditionsArb,
      // Twice as many allows, or one deny among several statements would decide nearly everything.
      effects: ['allow', 'allow', 'deny'],
      percent: { notPrincipals: 20, resources: 40, conditions: 40 },
    },
    effect,
  );

const policiesArb = gen.policiesArb(statementArb());

const tagsArb = fc.record(
  { env: fc.constantFrom(...TAG_VALUES), team: fc.constantFrom('payments', 'web') },
  { requiredKeys: [] },
);

const resourceArb = gen.resourceArb({ kind: fc.constantFrom(...RESOURCE_KINDS), names: NAMES, tags: tagsArb });

const requestArb = gen.requestArb({
  // Admin is decided mostly by the built-in rule, so keep it rare enough to test everyone else.
  principal: gen.principalArb({ ...PRINCIPAL_POOLS, adminOneIn: 10 }),
  // one action outside the contract exercises the unindexed path
  actions: [...ACTIONS, 'reports:read'],
  resource: resourceArb,
  tags: tagsArb,
});

const requestsArb = fc.array(requestArb, { minLength: 1, maxLength: 8 });

/** A deterministic Fisher–Yates shuffle driven by a generated seed (shrinks well, unlike a generated permutation). */
const shuffle = <T>(items: readonly T[], seed: number): T[] => {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const j = (state >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
};

const verdict = (set: ReturnType<typeof compilePolicySet>, req: AuthzRequest) => {
  const d = evaluate(set, req);
  return { decision: d.decision, reason: d.reason };
};

describe('evaluation properties', () => {
  it('never depends on the order of policies or statements', () => {
    fc.assert(
      fc.property(policiesArb, requestsArb, fc.integer(), (policies, requests, seed) => {
        const reordered = shuffle(policies, seed).map((p, i) => ({
          ...p,
          document: { ...p.document, statements: shuffle(p.document.statements, seed + i + 1) },
        }));
        const a = compilePolicySet(policies);
        const b = compilePolicySet(reordered);
        for (const r of requests) expect(evaluate(b, r)).toEqual(evaluate(a, r));
      }),
      RUNS,
    );
  });

  it('never depends on duplicate policies or duplicate statements', () => {
    fc.assert(
      fc.property(policiesArb, requestsArb, (policies, requests) => {
        const base = compilePolicySet(policies);
        // the same policy twice explains itself once
        const twice = compilePolicySet([...policies, ...policies]);
        // a copy of every statement under another sid may add matches, never change the verdict
        const doubled = compilePolicySet(
          policies.map((p) => ({
            ...p,
            document: {
              ...p.document,
              statements: [
                ...p.document.statements,
                ...p.document.statements.map((s, j) => ({ ...s, sid: `copy${j}` })),
              ],
            },
          })),
        );
        for (const r of requests) {
          expect(evaluate(twice, r)).toEqual(evaluate(base, r));
          expect(verdict(doubled, r)).toEqual(verdict(base, r));
        }
      }),
      RUNS,
    );
  });

  it('never turns a deny into an allow when a deny is added', () => {
    fc.assert(
      fc.property(policiesArb, statementArb('deny'), requestsArb, (policies, deny, requests) => {
        const before = compilePolicySet(policies);
        const after = compilePolicySet([
          ...policies,
          ...gen.toPolicies([[deny]]).map((p) => ({ ...p, id: 'extra-deny' })),
        ]);
        for (const r of requests) {
          if (evaluate(before, r).decision === 'deny') expect(evaluate(after, r).decision).toBe('deny');
        }
      }),
      RUNS,
    );
  });

  it('never turns an allow into a deny when an allow is added', () => {
    fc.assert(
      fc.property(policiesArb, statementArb('allow'), requestsArb, (policies, allow, requests) => {
        const before = compilePolicySet(policies);
        const after = compilePolicySet([
          ...policies,
          ...gen.toPolicies([[allow]]).map((p) => ({ ...p, id: 'extra-allow' })),
        ]);
        for (const r of requests) {
          if (evaluate(before, r).decision === 'allow') expect(evaluate(after, r).decision).toBe('allow');
        }
      }),
      RUNS,
    );
  });

  it('allows only Admin when there are no policies', () => {
    const empty = compilePolicySet([]);
    fc.assert(
      fc.property(requestArb, (r) => {
        const d = evaluate(empty, r);
        expect(d.decision).toBe(r.principal.roles.includes(ADMIN_ROLE) ? 'allow' : 'deny');
        expect(d.reason).toBe(d.decision === 'allow' ? 'explicit_allow' : 'implicit_deny');
      }),
      RUNS,
    );
  });

  it('explains every decision by the statements that decided it', () => {
    fc.assert(
      fc.property(policiesArb, requestsArb, (policies, requests) => {
        const set = compilePolicySet(policies);
        const effectOf = new Map(
          policies.flatMap((p) => p.document.statements.map((s) => [`${p.id}/${s.sid ?? ''}`, s.effect] as const)),
        );
        effectOf.set('builtin:admin/admin', 'allow');
        for (const r of requests) {
          const d = evaluate(set, r);
          if (d.reason === 'implicit_deny') expect(d.matched).toEqual([]);
          else expect(d.matched.length).toBeGreaterThan(0);
          const want = d.reason === 'explicit_deny' ? 'deny' : 'allow';
          for (const m of d.matched) expect(effectOf.get(`${m.policyId}/${m.sid}`)).toBe(want);
        }
      }),
      RUNS,
    );
  });

  it('decides the same through createAuthorizer and evaluateChange (unchanged resource) as evaluate', () => {
    fc.assert(
      fc.property(policiesArb, requestsArb, (policies, requests) => {
        const set = compilePolicySet(policies);
        for (const r of requests) {
          const d = evaluate(set, r);
          expect(createAuthorizer(set, r.principal, r.action)(r.resource, r.requestTags)).toEqual(d);
          expect(evaluateChange(set, r, r.resource)).toEqual(d);
        }
      }),
      RUNS,
    );
  });

  it('denies a change when either side alone is denied', () => {
    fc.assert(
      fc.property(policiesArb, requestArb, resourceArb, (policies, r, after) => {
        const set = compilePolicySet(policies);
        const both = evaluateChange(set, r, after);
        const sides = [evaluate(set, r), evaluate(set, { ...r, resource: after })];
        expect(both.decision).toBe(sides.every((d) => d.decision === 'allow') ? 'allow' : 'deny');
      }),
      RUNS,
    );
  });
});
