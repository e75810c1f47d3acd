/**
 * Per-company bounds on a policy set (`policy.md`, "Limits"). Every decision walks the company's
 * statements, so these bound the work one decision can cost and keep one company from slowing
 * the API down for all others: with the worst set inside them a decision stays well under a
 * millisecond (bench/policy-worst-case.mjs).
 */
import { hasWildcard } from './glob-fns.js';
import { parseResourcePattern } from './policy-resources.js';
import type { PolicyDocument } from './policy-types.js';

export const POLICY_SET_LIMITS = Object.freeze({
  /** Policies per company. */
  policies: 100,
  /** Statements over all of the company's policies. */
  statements: 500,
  /**
   * Condition values over all statements (each string of a value list counts; `Null` counts one).
   * A `StringLike`-family value on `principal.roles` or `principal.groups` counts
   * `MULTI_VALUED_GLOB_WEIGHT` times, here and in `globCharacters`: it is matched against each of
   * up to 50 roles or groups.
   */
  conditionValues: 1000,
  /**
   * Characters of every glob matched per decision: `resources` name globs and the values of the
   * `StringLike` family. Action globs are resolved when the set is compiled and do not count.
   */
  globCharacters: 4096,
});

export const MULTI_VALUED_GLOB_WEIGHT = 20;
const MULTI_VALUED_KEYS: ReadonlySet<string> = new Set(['principal.roles', 'principal.groups']);

export type PolicySetLimit = keyof typeof POLICY_SET_LIMITS;

export interface PolicySetUsage {
  policies: number;
  statements: number;
  conditionValues: number;
  globCharacters: number;
}

const LIKE_OPERATORS: ReadonlySet<string> = new Set([
  'StringLike',
  'StringNotLike',
  'ForAnyValue:StringLike',
  'ForAllValues:StringLike',
]);

/** What one validated document adds to its company's usage. */
export const documentUsage = (doc: PolicyDocument): PolicySetUsage => {
  let conditionValues = 0;
  let globCharacters = 0;
  for (const st of doc.statements) {
    for (const pattern of st.resources ?? []) {
      const parsed = parseResourcePattern(pattern);
      if (!('error' in parsed) && !parsed.any && hasWildcard(parsed.glob)) globCharacters += parsed.glob.length;
    }
    for (const [operator, entries] of Object.entries(st.conditions ?? {})) {
      for (const [key, value] of Object.entries(entries)) {
        const values = Array.isArray(value) ? value : [value];
        const like = LIKE_OPERATORS.has(operator);
        const weight = like && MULTI_VALUED_KEYS.has(key) ? MULTI_VALUED_GLOB_WEIGHT : 1;
        conditionValues += values.length * weight;
        if (like) {
          for (const v of values) if (typeof v === 'string' && hasWildcard(v)) globCharacters += v.length * weight;
        }
      }
    }
  }
  return { policies: 1, statements: doc.statements.length, conditionValues, globCharacters };
};

export const addUsage = (a: PolicySetUsage, b: PolicySetUsage): PolicySetUsage => ({
  policies: a.policies + b.policies,
  statements: a.statements + b.statements,
  conditionValues: a.conditionValues + b.conditionValues,
  globCharacters: a.globCharacters + b.globCharacters,
});

export const NO_USAGE: PolicySetUsage = Object.freeze({
  policies: 0,
  statements: 0,
  conditionValues: 0,
  globCharacters: 0,
});

export interface LimitExceeded {
  limit: PolicySetLimit;
  max: number;
  actual: number;
  /** The document field that carries what is over the limit. */
  path: string;
  message: string;
}

const WHAT: Record<PolicySetLimit, string> = {
  policies: 'policies',
  statements: 'statements',
  conditionValues: 'condition values',
  globCharacters: 'characters of resource and StringLike globs',
};

const PATH: Record<PolicySetLimit, string> = {
  policies: 'name',
  statements: 'statements',
  conditionValues: 'statements',
  globCharacters: 'statements',
};

/** The limits a company's usage breaks, each naming the limit, its maximum and the usage. */
export const exceededLimits = (usage: PolicySetUsage, limits = POLICY_SET_LIMITS): LimitExceeded[] =>
  (Object.keys(limits) as PolicySetLimit[])
    .filter((limit) => usage[limit] > limits[limit])
    .map((limit) => ({
      limit,
      max: limits[limit],
      actual: usage[limit],
      path: PATH[limit],
      message: `the company's policies would have ${usage[limit]} ${WHAT[limit]}; at most ${limits[limit]} are allowed (limit "${limit}")`,
    }));
