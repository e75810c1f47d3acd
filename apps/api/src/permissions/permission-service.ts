import type { Principal } from '@nembl/core';
import type { Decision, DecisionReason } from '@nembl/policy';
import type { AuthzService } from '../authz/authz-service.js';
import type { SecretRepository } from '../secrets/secret-repository.js';
import { secretResource } from '../secrets/secret-types.js';
import { resourceKindOf, type PermissionCheck } from './permission-types.js';

export interface PermissionResult {
  action: string;
  secret?: string;
  allowed: boolean;
  reason: DecisionReason;
}

const HIDDEN: Pick<Decision, 'decision' | 'reason'> = { decision: 'deny', reason: 'implicit_deny' };

/**
 * What the caller may do, decided by the engine enforcement uses (`authz.decide`), with the same
 * resource attributes the secret routes build. Nothing is audited: it is a question, not an action.
 */
export const permissionServiceFactory = (deps: {
  authz: Pick<AuthzService, 'decide'>;
  secrets: Pick<SecretRepository, 'findLiveByNames'>;
}) => {
  const decideOne = async (
    p: Principal,
    check: PermissionCheck,
    live: Map<string, Parameters<typeof secretResource>[0]>,
  ): Promise<Pick<Decision, 'decision' | 'reason'>> => {
    const { action, secret, tags } = check;
    const kind = resourceKindOf(action);
    if (kind !== 'secret') return deps.authz.decide({ principal: p, action, resource: { kind } });

    // A create is about a secret that does not exist yet: as POST /secrets asks, by name and tags.
    if (action === 'secrets:create') {
      const requested = tags ?? {};
      return deps.authz.decide({
        principal: p,
        action,
        resource: { kind, ...(secret !== undefined ? { name: secret } : {}), tags: requested },
        requestTags: requested,
      });
    }
    if (secret === undefined)
      return deps.authz.decide({ principal: p, action, resource: { kind, ...(tags ? { tags } : {}) } });

    // A secret the caller may not read answers exactly like a missing one.
    const row = live.get(secret);
    if (!row) return HIDDEN;
    const resource = secretResource(row);
    const read = await deps.authz.decide({ principal: p, action: 'secrets:read', resource });
    if (read.decision !== 'allow') return HIDDEN;
    if (action === 'secrets:read' && !tags) return read;
    // With tags: may the secret be changed to them (checked as it is and as it would be, like PATCH).
    return deps.authz.decide({
      principal: p,
      action,
      resource,
      ...(tags ? { after: { ...resource, tags }, requestTags: tags } : {}),
    });
  };

  return {
    check: async (p: Principal, checks: PermissionCheck[]): Promise<PermissionResult[]> => {
      const names = [
        ...new Set(checks.flatMap((c) => (c.secret !== undefined && c.action !== 'secrets:create' ? [c.secret] : []))),
      ];
      const live = new Map((await deps.secrets.findLiveByNames(p.companyId, names)).map((s) => [s.name, s]));
      return Promise.all(
        checks.map(async (c) => {
          const d = await decideOne(p, c, live);
          return {
            action: c.action,
            ...(c.secret !== undefined ? { secret: c.secret } : {}),
            allowed: d.decision === 'allow',
            reason: d.reason,
          };
        }),
      );
    },
  };
};

export type PermissionService = ReturnType<typeof permissionServiceFactory>;
