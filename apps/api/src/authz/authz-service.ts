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
  /** The company's policies; the compiled set is cached per company until `invalidate`. */
  loadPolicies: (companyId: string) => Promise<StoredPolicy[]>;
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

export const authzServiceFactory = ({ loadPolicies, audit, now }: AuthzDeps) => {
  const cache = new Map<string, Promise<CompiledPolicySet>>();

  const policySet = (companyId: string): Promise<CompiledPolicySet> => {
    let set = cache.get(companyId);
    if (!set) {
      set = loadPolicies(companyId).then(compilePolicySet);
      set.catch(() => cache.delete(companyId));
      cache.set(companyId, set);
    }
    return set;
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
    policySet,
    /** A synchronous check of one principal and action against many resources (list filtering). */
    authorizer: async (principal: Principal, action: string) => createAuthorizer(await policySet(principal.companyId), principal, action),
    invalidate: (companyId: string) => cache.delete(companyId),

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
