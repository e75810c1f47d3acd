/**
 * The vocabulary of access policies (`policy.md`): actions, resource kinds, principals, requests,
 * documents and decisions. Types only, plus the constant lists they are built from.
 */

/** Every action name of the API contract (`api.md`, "Actions"). */
export const ACTION_NAMES = [
  'secrets:create',
  'secrets:read',
  'secrets:use',
  'secrets:read_value',
  'secrets:update',
  'secrets:delete',
  'connectors:create',
  'connectors:read',
  'connectors:update',
  'connectors:delete',
  'workflows:create',
  'workflows:read',
  'workflows:update',
  'workflows:delete',
  'workflows:run',
  'policies:read',
  'policies:write',
  'users:read',
  'users:write',
  'tokens:read',
  'tokens:write',
  'audit:read',
] as const;

export type Action = (typeof ACTION_NAMES)[number];

// Typed as plain strings so callers can ask `ACTIONS.includes(input)` about untrusted input.
export const ACTIONS: readonly string[] = ACTION_NAMES;

export const RESOURCE_KINDS = ['secret', 'connector', 'workflow', 'policy', 'user', 'token', 'audit'] as const;

export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Resource kinds that a `resources` pattern can name (`secret:<glob>` …); the rest only match `*`. */
export const NAMED_RESOURCE_KINDS = ['secret', 'connector', 'workflow'] as const;

export type NamedResourceKind = (typeof NAMED_RESOURCE_KINDS)[number];

/** The built-in role that is allowed everything (rule 5). */
export const ADMIN_ROLE = 'Admin';

/** Who is asking: a signed-in user or a service token, with the roles and groups it holds. */
export interface Principal {
  type: 'user' | 'token';
  id: string;
  roles: readonly string[];
  groups: readonly string[];
}

/** What is asked about. Missing attributes are missing condition keys, never errors. */
export interface ResourceAttrs {
  kind: ResourceKind;
  name?: string;
  secretType?: string;
  tags?: Readonly<Record<string, string>>;
}

export interface AuthzRequest {
  principal: Principal;
  action: string;
  resource: ResourceAttrs;
  /** Tags a create or tag change asks for (`request.tag/<key>`). */
  requestTags?: Readonly<Record<string, string>>;
}

export interface MatchedStatement {
  policyId: string;
  policyName: string;
  sid: string;
}

export type DecisionReason = 'explicit_allow' | 'explicit_deny' | 'implicit_deny';

export interface Decision {
  decision: 'allow' | 'deny';
  reason: DecisionReason;
  /** The statements that decided: applicable denies, or applicable allows; empty on implicit deny. */
  matched: MatchedStatement[];
}

export interface PrincipalSet {
  users?: string[];
  tokens?: string[];
  roles?: string[];
  groups?: string[];
}

export const CONDITION_OPERATORS = [
  'StringEquals',
  'StringNotEquals',
  'StringLike',
  'StringNotLike',
  'Null',
  'ForAnyValue:StringEquals',
  'ForAnyValue:StringLike',
  'ForAllValues:StringEquals',
  'ForAllValues:StringLike',
] as const;

export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export type ConditionValue = string | boolean | string[];

/** `{ Operator: { key: value | [values] } }` */
export type Conditions = Record<string, Record<string, ConditionValue>>;

export interface PolicyStatement {
  sid?: string;
  effect: 'allow' | 'deny';
  actions: string[];
  principals: '*' | PrincipalSet;
  notPrincipals?: PrincipalSet;
  /** Default `["*"]`. */
  resources?: string[];
  conditions?: Conditions;
}

export interface PolicyDocument {
  name: string;
  description?: string;
  statements: PolicyStatement[];
}

export interface StoredPolicy {
  id: string;
  name: string;
  document: PolicyDocument;
}

export interface PolicyIssue {
  /** Dots and brackets, e.g. `statements[2].conditions`; empty for the document itself. */
  path: string;
  message: string;
}

export type ParseResult = { ok: true; document: PolicyDocument } | { ok: false; errors: PolicyIssue[] };
