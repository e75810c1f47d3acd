/**
 * Decisions (`policy.md`, "Evaluation"): any applicable deny wins, else any applicable allow, else
 * implicit deny; role `Admin` carries a built-in allow and cannot be denied `policies:*`/`users:*`.
 */
import {
  bucketOf,
  internals,
  type CompiledPolicySet,
  type CompiledStatement,
  type StatementBucket,
} from './policy-compile.js';
import type { AuthzRequest, Decision, MatchedStatement, Principal, ResourceAttrs } from './policy-types.js';
import { ADMIN_ROLE } from './policy-types.js';
import { principalMask, type StatementIndex } from './statement-index.js';

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
  // Not a contract action: nothing was indexed for it, so index the statements whose globs match.
  return s.byAction.get(action) ?? bucketOf(s.all.filter((st) => st.matchesAction(action)));
};

/** Resource and conditions hold; the action and principal were settled by the index. */
const applies = (st: CompiledStatement, req: AuthzRequest): boolean => {
  if (st.resources !== undefined && !st.resources(req.resource)) return false;
  for (const test of st.conditions) if (!test(req)) return false;
  return true;
};

/** Appends the ref of a statement that applies, once per policy and sid. */
const push = (st: CompiledStatement, out: MatchedStatement[]): void => {
  // Only a policy given twice has twins, so the common path never searches.
  if (st.hasTwin && out.some((m) => m.policyId === st.ref.policyId && m.sid === st.ref.sid)) return;
  out.push(st.ref);
};

// Scratch space for principal masks. Evaluation is synchronous and calls no outside code, so one
// buffer serves every decision; it only grows.
let scratch = new Uint32Array(8);

const collectFor = (index: StatementIndex<CompiledStatement>, req: AuthzRequest, out: MatchedStatement[]): void => {
  if (index.statements.length === 0) return;
  if (scratch.length < index.words) scratch = new Uint32Array(index.words);
  const mask = scratch;
  principalMask(index, req.principal, mask);
  for (let w = 0; w < index.words; w++) {
    let bits = mask[w] ?? 0;
    while (bits !== 0) {
      const low = bits & -bits;
      bits ^= low;
      const st = index.statements[(w << 5) + 31 - Math.clz32(low)];
      if (st !== undefined && applies(st, req)) push(st, out);
    }
  }
};

const collectAll = (statements: readonly CompiledStatement[], req: AuthzRequest, out: MatchedStatement[]): void => {
  for (const st of statements) if (applies(st, req)) push(st, out);
};

const decideWith = (
  collect: (effect: 'deny' | 'allow', out: MatchedStatement[]) => void,
  admin: boolean,
  action: string,
): Decision => {
  if (!(admin && isAdminProtectedAction(action))) {
    const denied: MatchedStatement[] = [];
    collect('deny', denied);
    if (denied.length > 0) return { decision: 'deny', reason: 'explicit_deny', matched: denied };
  }
  const allowed: MatchedStatement[] = admin ? [ADMIN_MATCH] : [];
  collect('allow', allowed);
  if (allowed.length > 0) return { decision: 'allow', reason: 'explicit_allow', matched: allowed };
  return { decision: 'deny', reason: 'implicit_deny', matched: [] };
};

const decide = (bucket: StatementBucket, req: AuthzRequest): Decision =>
  decideWith(
    (effect, out) => collectFor(effect === 'deny' ? bucket.denies : bucket.allows, req, out),
    isAdmin(req.principal),
    req.action,
  );

/** Decides one request. */
export const evaluate = (set: CompiledPolicySet, req: AuthzRequest): Decision =>
  decide(bucketFor(set, req.action), req);

/** The statements of an index that apply to the principal, in index order. */
const forPrincipal = (index: StatementIndex<CompiledStatement>, principal: Principal): CompiledStatement[] => {
  const mask = new Uint32Array(index.words);
  principalMask(index, principal, mask);
  return index.statements.filter((_, i) => ((mask[i >>> 5] ?? 0) & (1 << (i & 31))) !== 0);
};

/**
 * Decides one principal and action for many resources, e.g. filtering a list by `secrets:read`:
 * principal and action are matched once, so each resource only costs its resource and conditions.
 */
export const createAuthorizer = (
  set: CompiledPolicySet,
  principal: Principal,
  action: string,
): ((resource: ResourceAttrs, requestTags?: Readonly<Record<string, string>>) => Decision) => {
  const bucket = bucketFor(set, action);
  // Conditions on principal keys do not depend on the resource: decide them once here, keep
  // only the statements they allow, and leave each resource just its own conditions.
  const probe: AuthzRequest = { principal, action, resource: { kind: 'secret' } };
  const settle = (statements: CompiledStatement[]): CompiledStatement[] =>
    statements
      .filter((st) => st.principalConditions.every((test) => test(probe)))
      .map((st) => (st.principalConditions.length === 0 ? st : { ...st, conditions: st.otherConditions }));
  const denies = settle(forPrincipal(bucket.denies, principal));
  const allows = settle(forPrincipal(bucket.allows, principal));
  const admin = isAdmin(principal);
  return (resource, requestTags) => {
    const req: AuthzRequest =
      requestTags === undefined ? { principal, action, resource } : { principal, action, resource, requestTags };
    return decideWith((effect, out) => collectAll(effect === 'deny' ? denies : allows, req, out), admin, action);
  };
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
  const bucket = bucketFor(set, req.action);
  const before = decide(bucket, req);
  const then = decide(bucket, { ...req, resource: after });
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
