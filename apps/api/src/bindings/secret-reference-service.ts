import { UnprocessableError, type Principal, type RequestContext, type SecretRow } from '@nembl/core';
import type { SecretRepository } from '../secrets/secret-repository.js';
import type { AuthzService } from '../authz/authz-service.js';
import { secretResource } from '../secrets/secret-types.js';
import { keepWithinBudget } from '../authz/evaluation-budget.js';

/** When a referenced secret is gone, say which and since when. */
export const deletedSecretError = (name: string, deletedAt: Date | null, path?: string) =>
  new UnprocessableError(
    deletedAt
      ? `Secret ${name} was deleted on ${deletedAt.toISOString()}; update the reference`
      : `Secret ${name} does not exist`,
    { errors: [{ path: path ?? 'secret', message: deletedAt ? `secret ${name} was deleted` : `no secret named ${name}` }], extra: { secret: name, deletedAt: deletedAt?.toISOString() ?? null } },
  );

/**
 * A reference the caller did not write and may not read (a connector's stored `authSecret`) that
 * is missing, deleted or unreadable: 422 on the field, without the name, which the caller's view
 * shows as `{ kind: "secret", hidden: true }`.
 */
export const hiddenSecretError = (path: string) =>
  new UnprocessableError('The secret this refers to is missing, deleted or hidden from you; name a secret you may use', {
    errors: [{ path, message: 'refers to a secret you may not read' }],
  });

/**
 * Checks references to secrets from connectors and workflows: each must exist (a secret the
 * caller may not even read counts as missing, so existence is not revealed) → else 422 naming
 * it; then `secrets:use` must be allowed → else 403.
 */
export const secretReferenceServiceFactory = ({
  secrets,
  authz,
}: {
  secrets: Pick<SecretRepository, 'findLiveByNames' | 'lastDeletions'>;
  authz: AuthzService;
}) => {
  const lastDeletion = (companyId: string, names: string[]): Promise<Map<string, Date>> => secrets.lastDeletions(companyId, names);

  /** The live secrets among `names`, by name. */
  const liveSecrets = async (companyId: string, names: string[]): Promise<Map<string, SecretRow>> =>
    new Map((await secrets.findLiveByNames(companyId, names)).map((s) => [s.name, s]));

  return {
    liveSecrets,
    lastDeletion,

    /**
     * Validates references for saving; `paths` maps each secret name to the field that names it.
     * `named: false` marks a reference kept from the stored resource rather than sent by the
     * caller: its name is never put in an error the caller may not read it in.
     */
    assertUsable: async (p: Principal, refs: Array<{ name: string; path: string; named?: boolean }>, ctx: RequestContext): Promise<void> => {
      const names = [...new Set(refs.map((r) => r.name))];
      const live = await liveSecrets(p.companyId, names);
      const mayRead = await authz.authorizer(p, 'secrets:read');
      const missing = await keepWithinBudget(refs, (r) => {
        const s = live.get(r.name);
        return !s || mayRead(secretResource(s)).decision !== 'allow';
      });
      const unnamed = missing.find((m) => m.named === false);
      if (unnamed) throw hiddenSecretError(unnamed.path);
      if (missing.length > 0) {
        const deletions = await lastDeletion(p.companyId, missing.map((m) => m.name));
        throw new UnprocessableError(
          `Unknown secret${missing.length > 1 ? 's' : ''}: ${[...new Set(missing.map((m) => m.name))].join(', ')}`,
          {
            errors: missing.map((m) => ({
              path: m.path,
              message: deletions.has(m.name) ? `secret ${m.name} was deleted on ${deletions.get(m.name)!.toISOString()}` : `no secret named ${m.name}`,
            })),
          },
        );
      }
      for (const name of names) {
        await authz.require({ principal: p, action: 'secrets:use', resource: secretResource(live.get(name)!) }, ctx);
      }
    },
  };
};

export type SecretReferenceService = ReturnType<typeof secretReferenceServiceFactory>;
