/**
 * @nembl/policy — the attribute-based access engine (`policy.md`). Pure: no I/O, no clock.
 * Validate documents with `parsePolicyDocument`, compile a company's policies once with
 * `compilePolicySet`, then decide requests with `evaluate` / `evaluateChange` / `createAuthorizer`.
 */
export {
  ACTIONS,
  ADMIN_ROLE,
  CONDITION_OPERATORS,
  RESOURCE_KINDS,
  type Action,
  type AuthzRequest,
  type ConditionOperator,
  type ConditionValue,
  type Conditions,
  type Decision,
  type DecisionReason,
  type MatchedStatement,
  type ParseResult,
  type PolicyDocument,
  type PolicyIssue,
  type PolicyStatement,
  type Principal,
  type PrincipalSet,
  type ResourceAttrs,
  type ResourceKind,
  type StoredPolicy,
} from './policy-types.js';
export { MAX_STATEMENTS, parsePolicyDocument } from './policy-parse.js';
export { compilePolicySet, InvalidPolicyError, type CompiledPolicySet } from './policy-compile.js';
export { ADMIN_MATCH, createAuthorizer, evaluate, evaluateChange } from './policy-evaluate.js';
export { STARTER_POLICIES } from './starter-policies.js';
export {
  addUsage,
  documentUsage,
  exceededLimits,
  MULTI_VALUED_GLOB_WEIGHT,
  NO_USAGE,
  POLICY_SET_LIMITS,
  type LimitExceeded,
  type PolicySetLimit,
  type PolicySetUsage,
} from './policy-limits.js';
