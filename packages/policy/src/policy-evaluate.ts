/**
 * Decisions (`policy.md`, "Evaluation"): any applicable deny wins, else any applicable allow, else
 * implicit deny; role `Admin` carries a built-in allow and cannot be denied `policies:*`/`users:*`.
 */
import {
  internals,
  principalMatches,
  type CompiledPolicySet,
  type CompiledStatement,
  type StatementBucket,
} from './policy-compile.js';
import type { AuthzRequest, Decision, MatchedStatement, Principal, ResourceAttrs } from './policy-types.js';
import { ADMIN_ROLE } from './policy-types.js';

export const ADMIN_MATCH: Readonly<MatchedStatement> = Object.freeze({
  policyId: 'builtin:admin',
  policyName: 'builtin:admin',
  sid: 'admin',
});

export const isAdmin = (principal: Principal): boolean => principal.roles.includes(ADMIN_ROLE);

/** Actions on which no deny applies to an Admin, so admins cannot be locked out of fixing policies. */
export const isAdminProtectedAction = (action: string): boolean =>
  action.startsWith('policies:') || action.startsWith('users:');

const bucketFor = (set: CompiledPolicySet, action: string): StatementBucket => {
  const s = set[internals];
  const indexed = s.byAction.get(action);
  if (indexed !== undefined) return indexed;
  // Not a contract action: nothing was indexed for it, so test every statement's globs.
  return {
    denies: s.all.denies.filter((st) => st.matchesAction(action)),
    allows: s.all.allows.filter((st) => st.matchesAction(action)),
  };
};

const principalApplies = (st: CompiledStatement, p: Principal): boolean =>
  (st.principals === undefined || principalMatches(st.principals, p)) &&
  (st.notPrincipals === undefined || !principalMatches(st.notPrincipals, p));

const applies = (st: CompiledStatement, req: AuthzRequest, checkPrincipal: boolean): boolean => {
  if (checkPrincipal && !principalApplies(st, req.principal)) return false;
  if (st.resources !== undefined && !st.resources(req.resource)) return false;
  for (const test of st.conditions) if (!test(req)) return false;
  return true;
};

/** Appends the refs of applicable statements; statements are sorted by refKey, so duplicates are adjacent. */
const collect = (
  statements: readonly CompiledStatement[],
  req: AuthzRequest,
  checkPrincipal: boolean,
  out: MatchedStatement[],
): void => {
  let lastKey: string | undefined;
  for (const st of statements) {
    if (st.refKey === lastKey) continue;
    if (applies(st, req, checkPrincipal)) {
      out.push(st.ref);
      lastKey = st.refKey;
    }
  }
};

/** Statements that may apply to one principal and action, and whether they still need the principal check. */
interface Candidates {
  readonly denies: readonly CompiledStatement[];
  readonly allows: readonly CompiledStatement[];
  readonly admin: boolean;
  readonly checkPrincipal: boolean;
}

const NONE: readonly CompiledStatement[] = [];

const candidates = (set: CompiledPolicySet, principal: Principal, action: string): Candidates => {
  const bucket = bucketFor(set, action);
  const admin = isAdmin(principal);
  return {
    denies: admin && isAdminProtectedAction(action) ? NONE : bucket.denies,
    allows: bucket.allows,
    admin,
    checkPrincipal: true,
  };
};

const decide = (c: Candidates, req: AuthzRequest): Decision => {
  if (c.denies.length > 0) {
    const denied: MatchedStatement[] = [];
    collect(c.denies, req, c.checkPrincipal, denied);
    if (denied.length > 0) return { decision: 'deny', reason: 'explicit_deny', matched: denied };
  }
  const allowed: MatchedStatement[] = c.admin ? [ADMIN_MATCH] : [];
  collect(c.allows, req, c.checkPrincipal, allowed);
  if (allowed.length > 0) return { decision: 'allow', reason: 'explicit_allow', matched: allowed };
  return { decision: 'deny', reason: 'implicit_deny', matched: [] };
};

/** Decides one request. */
export const evaluate = (set: CompiledPolicySet, req: AuthzRequest): Decision =>
  decide(candidates(set, req.principal, req.action), req);

/**
 * Decides one principal and action for many resources, e.g. filtering a list by `secrets:read`:
 * principal and action are matched once, so each resource only costs its resource and conditions.
 */
export const createAuthorizer = (
  set: CompiledPolicySet,
  principal: Principal,
  action: string,
): ((resource: ResourceAttrs, requestTags?: Readonly<Record<string, string>>) => Decision) => {
  const all = candidates(set, principal, action);
  const keep = (st: CompiledStatement): boolean => principalApplies(st, principal);
  // Matching the principal once here is what makes filtering thousands of resources cheap.
  const prepared: Candidates = {
    denies: all.denies.filter(keep),
    allows: all.allows.filter(keep),
    admin: all.admin,
    checkPrincipal: false,
  };
  return (resource, requestTags) =>
    decide(prepared, requestTags === undefined ? { principal, action, resource } : { principal, action, resource, requestTags });
};

const mergeMatches = (a: readonly MatchedStatement[], b: readonly MatchedStatement[]): MatchedStatement[] => {
  const out = [...a];
  for (const m of b) {
    if (!out.some((o) => o.policyId === m.policyId && o.sid === m.sid)) out.push(m);
  }
  return out;
};

/**
 * Decides a change of tags (rule 6): the request must be allowed for the resource as it is
 * (`req.resource`) and as it would be (`after`). A deny on either side is the answer, explained by
 * that side; when both deny, an explicit deny is preferred to an implicit one (and two explicit
 * denies are merged), because that is what the person has to change. When both allow, the
 * explanation lists the allows of both sides.
 */
export const evaluateChange = (set: CompiledPolicySet, req: AuthzRequest, after: ResourceAttrs): Decision => {
  const c = candidates(set, req.principal, req.action);
  const before = decide(c, req);
  const then = decide(c, { ...req, resource: after });
  if (before.decision === 'allow' && then.decision === 'allow') {
    return { decision: 'allow', reason: 'explicit_allow', matched: mergeMatches(before.matched, then.matched) };
  }
  if (before.decision === 'allow') return then;
  if (then.decision === 'allow') return before;
  if (before.reason === 'explicit_deny' && then.reason === 'explicit_deny') {
    return { decision: 'deny', reason: 'explicit_deny', matched: mergeMatches(before.matched, then.matched) };
  }
  return then.reason === 'explicit_deny' ? then : before;
};
