import type { Principal } from '@nembl/core';
import type { AuthzService } from '../authz/authz-service.js';
import { secretResource, type BoundResource } from '../secrets/secret-types.js';
import type { BindingRepository } from './binding-repository.js';
import type { SecretReferenceService } from './secret-reference-service.js';
import { presentBindings, type BoundResourceView } from './visibility-fns.js';

/**
 * What the caller may see of the references between secrets, connectors and workflows. A
 * connector or workflow names the secrets it uses; a secret lists the resources bound to it. Each
 * named item needs its own read permission (`secrets:read`, `connectors:read`, `workflows:read`),
 * else it is shown as hidden. Decided like list filtering: no denial events.
 */
export const visibilityServiceFactory = (deps: {
  authz: Pick<AuthzService, 'authorizer'>;
  bindings: Pick<BindingRepository, 'forSecrets'>;
  references: Pick<SecretReferenceService, 'liveSecrets'>;
}) => {
  const presentAll = async (
    p: Principal,
    bound: ReadonlyMap<string, readonly BoundResource[]>,
  ): Promise<Map<string, BoundResourceView[]>> => {
    const withAny = [...bound].filter(([, list]) => list.length > 0);
    if (withAny.length === 0) return new Map();
    const [mayReadConnector, mayReadWorkflow] = await Promise.all([
      deps.authz.authorizer(p, 'connectors:read'),
      deps.authz.authorizer(p, 'workflows:read'),
    ]);
    const mayRead = (b: { kind: string; name: string }) =>
      (b.kind === 'connector'
        ? mayReadConnector({ kind: 'connector', name: b.name })
        : mayReadWorkflow({ kind: 'workflow', name: b.name })
      ).decision === 'allow';
    return new Map(withAny.map(([id, list]) => [id, presentBindings(list, mayRead)]));
  };

  return {
    /** `boundResources` per secret id, as the caller may see them. */
    boundResources: async (p: Principal, secretIds: string[]): Promise<Map<string, BoundResourceView[]>> =>
      presentAll(p, await deps.bindings.forSecrets(p.companyId, secretIds)),

    /** Bindings already read (with their secrets, `SecretWithRelations`), as the caller may see them. */
    present: (p: Principal, bound: ReadonlyMap<string, readonly BoundResource[]>) => presentAll(p, bound),

    /**
     * The secret names, of those given, the caller may `secrets:read` — judged on the live secret's
     * tags and type; a name with no live secret (deleted, never created) by its name alone.
     */
    readableSecrets: async (p: Principal, names: readonly string[]): Promise<ReadonlySet<string>> => {
      const unique = [...new Set(names)];
      if (unique.length === 0) return new Set();
      const [live, mayRead] = await Promise.all([
        deps.references.liveSecrets(p.companyId, unique),
        deps.authz.authorizer(p, 'secrets:read'),
      ]);
      return new Set(
        unique.filter((name) => {
          const s = live.get(name);
          return mayRead(s ? secretResource(s) : { kind: 'secret', name }).decision === 'allow';
        }),
      );
    },
  };
};

export type VisibilityService = ReturnType<typeof visibilityServiceFactory>;
