import { ForbiddenError, type Principal } from '@nembl/core';
import {
  compilePolicySet,
  createAuthorizer,
  evaluate,
  evaluateChange,
  type CompiledPolicySet,
  type Decision,
  type ResourceAttrs,
  type StoredPolicy,
} from '@nembl/policy';
import type { AuditService } from '@nembl/core';
import { actorOf, type RequestContext } from '@nembl/core';

export interface AuthzDeps {
  /** The company's policies; the compiled set is cached per company. */
  loadPolicies: (companyId: string) => Promise<StoredPolicy[]>;
  /** A cheap version stamp of the company's policies; a change makes the cached set stale. */
  policyVersion: (companyId: string) => Promise<string>;
  /** How long a cached set is trusted before its version is checked again (other processes may change it). */
  revalidateAfterMs?: number;
  audit: Pick<AuditService, 'record'>;
  now: () => Date;
}

export interface AuthzCheck {
  principal: Principal;
  action: string;
  resource: ResourceAttrs;
  /** For tag changes: the resource as it would be after the change (checked too). */
  after?: ResourceAttrs;
  requestTags?: Record<string, string>;
}

const describeDeny = (d: Decision, action: string) =>
  `Not allowed to ${action} (${d.reason === 'explicit_deny' ? 'explicitly denied by policy' : 'no policy allows it'})`;

interface CacheEntry {
  version: string;
  set: CompiledPolicySet;
  checkedAt: number;
}

export const authzServiceFactory = ({ loadPolicies, policyVersion, audit, now, revalidateAfterMs = 1000 }: AuthzDeps) => {
  const cache = new Map<string, CacheEntry>();
  const loading = new Map<string, Promise<CacheEntry>>();
  // Bumped by `invalidate`: a load that began before is not kept (it may predate the change).
  let generation = 0;
  // False while policy writes of other processes may go unannounced here (`setTrusted`).
  let trusted = true;

  const load = (companyId: string): Promise<CacheEntry> => {
    let p = loading.get(companyId);
    if (!p) {
      const seen = generation;
      // Read the version first: a change racing the load leaves us with an older stamp, so the
      // next check reloads rather than trusting a set newer than its stamp claims.
      const started: Promise<CacheEntry> = policyVersion(companyId)
        .then(async (version) => ({ version, set: compilePolicySet(await loadPolicies(companyId)), checkedAt: Date.now() }))
        .then((entry) => {
          if (seen === generation) cache.set(companyId, entry);
          return entry;
        })
        .finally(() => {
          if (loading.get(companyId) === started) loading.delete(companyId);
        });
      p = started;
      loading.set(companyId, p);
    }
    return p;
  };

  /**
   * The compiled set, compiled once per change. Within `revalidateAfterMs` it is trusted as is;
   * after that one cheap version query decides whether to recompile.
   */
  const policySet = async (companyId: string): Promise<CompiledPolicySet> => {
    const entry = cache.get(companyId);
    if (!entry) return (await load(companyId)).set;
    if (trusted && Date.now() - entry.checkedAt < revalidateAfterMs) return entry.set;
    const version = await policyVersion(companyId);
    if (version === entry.version) {
      entry.checkedAt = Date.now();
      return entry.set;
    }
    cache.delete(companyId);
    return (await load(companyId)).set;
  };

  const decide = async (check: AuthzCheck): Promise<Decision> => {
    const set = await policySet(check.principal.companyId);
    const req = {
      principal: check.principal,
      action: check.action,
      resource: check.resource,
      ...(check.requestTags ? { requestTags: check.requestTags } : {}),
    };
    return check.after ? evaluateChange(set, req, check.after) : evaluate(set, req);
  };

  /** Decides and audits a denial. Allowed decisions are audited by the caller with the change they permit. */
  const audited = async (check: AuthzCheck, context: RequestContext): Promise<Decision> => {
    const decision = await decide(check);
    if (decision.decision === 'allow') return decision;
    await audit.record({
        companyId: check.principal.companyId,
        actor: actorOf(check.principal),
        action: check.action,
        resource: { kind: check.resource.kind, name: check.resource.name ?? null },
      decision: 'deny',
      reason: decision.reason,
      context,
      at: now(),
    });
    return decision;
  };

  return {
    decide,
    audited,
    /** A synchronous check of one principal and action against many resources (list filtering). */
    authorizer: async (principal: Principal, action: string) => createAuthorizer(await policySet(principal.companyId), principal, action),
    /**
     * Drops the company's compiled set (a policy write here, or announced by another API process
     * through the metadata barrier), so the next check reads the policies afresh.
     */
    invalidate: (companyId: string) => {
      generation += 1;
      cache.delete(companyId);
      loading.delete(companyId);
    },
    /**
     * Whether policy writes of other processes are known to be announced here (the metadata
     * subscription is up). Untrusted, every check re-reads the version stamp instead of trusting
     * a compiled set for `revalidateAfterMs`; each change drops every compiled set.
     */
    setTrusted: (on: boolean) => {
      generation += 1;
      cache.clear();
      loading.clear();
      trusted = on;
    },

    /** Throws 403 naming the action and whether the deny was explicit, after auditing the denial. */
    require: async (check: AuthzCheck, context: RequestContext): Promise<Decision> => {
      const decision = await audited(check, context);
      if (decision.decision === 'allow') return decision;
      throw new ForbiddenError(describeDeny(decision, check.action), {
        extra: { action: check.action, reason: decision.reason },
      });
    },
  };
};

export type AuthzService = ReturnType<typeof authzServiceFactory>;
