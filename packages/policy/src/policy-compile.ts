/**
 * Turns stored policies into a structure that evaluation only has to walk: globs become matchers,
 * conditions become closures, and statements are indexed by every contract action they cover and,
 * within an action, by the users, tokens, roles and groups they name (statement-index.ts).
 * Nothing is parsed again per decision.
 */
import { compileGlobs, type StringMatcher } from './glob-fns.js';
import { compileCondition, isConditionOperator, parseConditionKey, type ConditionTest } from './policy-conditions.js';
import { parsePolicyDocument } from './policy-parse.js';
import { compileResourcePatterns, type ResourceMatcher } from './policy-resources.js';
import type { MatchedStatement, PolicyIssue, PolicyStatement, PrincipalSet, StoredPolicy } from './policy-types.js';
import { ACTION_NAMES } from './policy-types.js';
import { buildStatementIndex, type StatementIndex } from './statement-index.js';

export interface CompiledStatement {
  readonly effect: 'allow' | 'deny';
  /** Frozen, handed out as-is in decisions. */
  readonly ref: Readonly<MatchedStatement>;
  /** Orders statements for stable explanations. */
  readonly refKey: string;
  /** Another statement has the same refKey (the same policy given twice), so explanations must dedupe. */
  hasTwin: boolean;
  readonly matchesAction: StringMatcher;
  readonly principals: '*' | PrincipalSet;
  readonly notPrincipals: PrincipalSet | undefined;
  /** Undefined: every resource. */
  readonly resources: ResourceMatcher;
  readonly conditions: readonly ConditionTest[];
  /** The conditions on `principal.*` keys alone: one principal's answer holds for every resource. */
  readonly principalConditions: readonly ConditionTest[];
  /** The other conditions. */
  readonly otherConditions: readonly ConditionTest[];
}

export interface StatementBucket {
  /** Sorted by refKey, so decisions list matches in the same order whatever the input order. */
  readonly denies: StatementIndex<CompiledStatement>;
  readonly allows: StatementIndex<CompiledStatement>;
}

export interface PolicySetInternals {
  readonly byAction: ReadonlyMap<string, StatementBucket>;
  /** Every statement, for actions outside the contract, which the index does not cover. */
  readonly all: readonly CompiledStatement[];
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

const compileConditions = (statement: PolicyStatement): { principal: ConditionTest[]; other: ConditionTest[] } => {
  const principal: ConditionTest[] = [];
  const other: ConditionTest[] = [];
  for (const [operator, entries] of Object.entries(statement.conditions ?? {})) {
    if (!isConditionOperator(operator)) continue; // unreachable after validation
    for (const [keyName, value] of Object.entries(entries)) {
      const key = parseConditionKey(keyName);
      if (key !== undefined)
        (keyName.startsWith('principal.') ? principal : other).push(compileCondition(operator, key, value));
    }
  }
  return { principal, other };
};

const compileStatement = (policy: StoredPolicy, statement: PolicyStatement, index: number): CompiledStatement => {
  const ref = Object.freeze({ policyId: policy.id, policyName: policy.name, sid: statement.sid ?? defaultSid(index) });
  const conditions = compileConditions(statement);
  return {
    effect: statement.effect,
    ref,
    refKey: `${ref.policyId}\u0000${ref.sid}`,
    hasTwin: false,
    matchesAction: compileGlobs(statement.actions),
    principals: statement.principals,
    notPrincipals: statement.notPrincipals,
    resources: compileResourcePatterns(statement.resources ?? ['*']),
    conditions: [...conditions.principal, ...conditions.other],
    principalConditions: conditions.principal,
    otherConditions: conditions.other,
  };
};

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// The name breaks ties between twins so that even a policy id given twice under two names is
// explained the same whatever the input order.
const byRefKey = (a: CompiledStatement, b: CompiledStatement): number =>
  compareStrings(a.refKey, b.refKey) || compareStrings(a.ref.policyName, b.ref.policyName);

/** Splits sorted statements into indexed denies and allows. */
export const bucketOf = (statements: readonly CompiledStatement[]): StatementBucket => ({
  denies: buildStatementIndex(statements.filter((s) => s.effect === 'deny')),
  allows: buildStatementIndex(statements.filter((s) => s.effect === 'allow')),
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
  statements.forEach((s, i) => {
    const prev = statements[i - 1];
    if (prev !== undefined && prev.refKey === s.refKey) prev.hasTwin = s.hasTwin = true;
  });
  const byAction = new Map<string, StatementBucket>();
  for (const action of ACTION_NAMES) byAction.set(action, bucketOf(statements.filter((s) => s.matchesAction(action))));
  return Object.freeze({
    [internals]: { byAction, all: statements },
    policyCount: policies.length,
    statementCount: statements.length,
  });
};
