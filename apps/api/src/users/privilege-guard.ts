import { actorOf, ForbiddenError, type AuditService, type Principal, type RequestContext } from '@nembl/core';
import { assertMayActOn } from './grant-fns.js';

/**
 * `assertMayActOn`, with the refusal audited like a policy denial: an attempt on a more
 * privileged principal (an Admin's password, say) is what an audit reader looks for.
 */
export const privilegeGuardFactory =
  ({ audit, now }: { audit: Pick<AuditService, 'record'>; now: () => Date }) =>
  async (
    caller: Principal,
    target: { roles: readonly string[]; groups: readonly string[] },
    action: string,
    resource: { kind: 'user' | 'token'; name: string; id: string },
    ctx: RequestContext,
  ): Promise<void> => {
    try {
      assertMayActOn(caller, target, resource.kind === 'user' ? resource.name : `token ${resource.name}`);
    } catch (err) {
      if (err instanceof ForbiddenError) {
        await audit.record({
          companyId: caller.companyId,
          actor: actorOf(caller),
          action,
          resource,
          decision: 'deny',
          reason: 'target_more_privileged',
          context: ctx,
          at: now(),
        });
      }
      throw err;
    }
  };
