/**
 * Turns stored policies into a structure that evaluation only has to walk: globs become matchers,
 * principal lists become sets, conditions become closures, and statements are indexed by every
 * known action they cover. Nothing is parsed again per decision.
 */
import { compileGlobs, type StringMatcher } from './glob-fns.js';
import { compileCondition, isConditionOperator, parseConditionKey, type ConditionTest } from './policy-conditions.js';
import { parsePolicyDocument } from './policy-parse.js';
import { compileResourcePatterns, type ResourceMatcher } from './policy-resources.js';
import type { MatchedStatement, PolicyIssue, PolicyStatement, Principal, PrincipalSet, StoredPolicy } from './policy-types.js';
import { ACTION_NAMES } from './policy-types.js';

export interface PrincipalMatcher {
  readonly users: ReadonlySet<string>;
  readonly tokens: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  readonly groups: ReadonlySet<string>;
}

export interface CompiledStatement {
  readonly effect: 'allow' | 'deny';
  /** Frozen, handed out as-is in decisions. */
  readonly ref: Readonly<MatchedStatement>;
  /** Orders statements for stable explanations and spots the same statement compiled twice. */
  readonly refKey: string;
  readonly matchesAction: StringMatcher;
  /** Undefined: everyone. */
  readonly principals: PrincipalMatcher | undefined;
  readonly notPrincipals: PrincipalMatcher | undefined;
  readonly resources: ResourceMatcher;
  readonly conditions: readonly ConditionTest[];
}

export interface StatementBucket {
  /** Sorted by refKey, so decisions list matches in the same order whatever the input order. */
  readonly denies: readonly CompiledStatement[];
  readonly allows: readonly CompiledStatement[];
}

export interface PolicySetInternals {
  readonly byAction: ReadonlyMap<string, StatementBucket>;
  /** Every statement, for actions outside the contract, which the index does not cover. */
  readonly all: StatementBucket;
}

export const internals: unique symbol = Symbol('nembl.policy-set');

/** A compiled, immutable policy set. Opaque: build it with `compilePolicySet`. */
export interface CompiledPolicySet {
  readonly [internals]: PolicySetInternals;
  /** How many policies and statements went in; handy for logs and health checks. */
  readonly policyCount: number;
  readonly statementCount: number;
}

/** Thrown when a stored policy no longer validates; it names the policy and lists the problems. */
export class InvalidPolicyError extends Error {
  constructor(
    readonly policyId: string,
    readonly errors: readonly PolicyIssue[],
  ) {
    super(`policy ${policyId} is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
    this.name = 'InvalidPolicyError';
  }
}

/** The sid a statement is explained by when it has none: its position, `statements[3]`. */
export const defaultSid = (index: number): string => `statements[${index}]`;

const compilePrincipalSet = (set: PrincipalSet): PrincipalMatcher => ({
  users: new Set(set.users ?? []),
  tokens: new Set(set.tokens ?? []),
  roles: new Set(set.roles ?? []),
  groups: new Set(set.groups ?? []),
});

export const principalMatches = (m: PrincipalMatcher, p: Principal): boolean => {
  if ((p.type === 'user' ? m.users : m.tokens).has(p.id)) return true;
  if (m.roles.size > 0) for (const r of p.roles) if (m.roles.has(r)) return true;
  if (m.groups.size > 0) for (const g of p.groups) if (m.groups.has(g)) return true;
  return false;
};

const compileConditions = (statement: PolicyStatement): ConditionTest[] => {
  const tests: ConditionTest[] = [];
  for (const [operator, entries] of Object.entries(statement.conditions ?? {})) {
    if (!isConditionOperator(operator)) continue; // unreachable after validation
    for (const [keyName, value] of Object.entries(entries)) {
      const key = parseConditionKey(keyName);
      if (key !== undefined) tests.push(compileCondition(operator, key, value));
    }
  }
  return tests;
};

const compileStatement = (policy: StoredPolicy, statement: PolicyStatement, index: number): CompiledStatement => {
  const ref = Object.freeze({ policyId: policy.id, policyName: policy.name, sid: statement.sid ?? defaultSid(index) });
  return {
    effect: statement.effect,
    ref,
    refKey: `${ref.policyId}\u0000${ref.sid}`,
    matchesAction: compileGlobs(statement.actions),
    principals: statement.principals === '*' ? undefined : compilePrincipalSet(statement.principals),
    notPrincipals: statement.notPrincipals === undefined ? undefined : compilePrincipalSet(statement.notPrincipals),
    resources: compileResourcePatterns(statement.resources ?? ['*']),
    conditions: compileConditions(statement),
  };
};

const byRefKey = (a: CompiledStatement, b: CompiledStatement): number =>
  a.refKey < b.refKey ? -1 : a.refKey > b.refKey ? 1 : 0;

const bucketOf = (statements: readonly CompiledStatement[]): StatementBucket => ({
  denies: statements.filter((s) => s.effect === 'deny'),
  allows: statements.filter((s) => s.effect === 'allow'),
});

/**
 * Compiles policies once, for many decisions. Each document is validated again so that a row
 * stored under older rules can never be half-understood: an invalid policy throws
 * `InvalidPolicyError` (fail closed) instead of silently dropping a deny.
 */
export const compilePolicySet = (policies: readonly StoredPolicy[]): CompiledPolicySet => {
  const statements: CompiledStatement[] = [];
  for (const policy of policies) {
    const parsed = parsePolicyDocument(policy.document);
    if (!parsed.ok) throw new InvalidPolicyError(policy.id, parsed.errors);
    parsed.document.statements.forEach((s, i) => statements.push(compileStatement(policy, s, i)));
  }
  statements.sort(byRefKey);
  const byAction = new Map<string, StatementBucket>();
  for (const action of ACTION_NAMES) byAction.set(action, bucketOf(statements.filter((s) => s.matchesAction(action))));
  return Object.freeze({
    [internals]: { byAction, all: bucketOf(statements) },
    policyCount: policies.length,
    statementCount: statements.length,
  });
};
