import { ConflictError, ServiceTokenEntity, type ServiceTokenRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import { isUniqueViolation } from '../http/pg-errors.js';

export interface RevokedToken {
  id: string;
  name: string;
  createdByToken: string | null;
}

/** Per-company transaction lock taken by token mints and lineage revocations (see `lockLineage`). */
const LINEAGE_LOCK = `SELECT pg_advisory_xact_lock(hashtextextended('nembl:token-lineage:' || $1, 0))`;

export const tokenRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  const repo = (em?: EntityManager) => (em ?? dataSource.manager).getRepository(ServiceTokenEntity);
  return {
    /** A usable token by hash: not revoked, not expired. */
    // On every bearer request: a plain query with the columns authentication needs.
    findLive: async (
      tokenHash: Buffer,
      now: Date,
    ): Promise<Pick<
      ServiceTokenRow,
      'id' | 'companyId' | 'name' | 'roles' | 'groups' | 'lastUsedAt' | 'expiresAt'
    > | null> => {
      const rows: Array<{
        id: string;
        company_id: string;
        name: string;
        roles: string[];
        groups: string[];
        last_used_at: Date | null;
        expires_at: Date | null;
      }> = await dataSource.query(
        `SELECT id, company_id, name, roles, groups, last_used_at, expires_at FROM service_tokens
            WHERE token_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`,
        [tokenHash, now],
      );
      const r = rows[0];
      return r
        ? {
            id: r.id,
            companyId: r.company_id,
            name: r.name,
            roles: r.roles,
            groups: r.groups,
            lastUsedAt: r.last_used_at,
            expiresAt: r.expires_at,
          }
        : null;
    },

    find: (companyId: string, id: string): Promise<ServiceTokenRow | null> =>
      repo().findOneBy({ companyId, id, revokedAt: IsNull() }),

    /** A token by id inside a transaction, only while it is usable (not revoked, not expired). */
    findLiveById: async (em: EntityManager, companyId: string, id: string, now: Date): Promise<ServiceTokenRow | null> =>
      repo(em)
        .createQueryBuilder('t')
        .where('t.company_id = :companyId AND t.id = :id AND t.revoked_at IS NULL', { companyId, id })
        .andWhere('(t.expires_at IS NULL OR t.expires_at > :now)', { now })
        .getOne(),

    /**
     * Serializes, per company, minting tokens with revoking lineages (until the transaction ends).
     * Without it a mint whose INSERT commits just after a revocation's recursive walk ran would
     * leave a live child of a revoked parent (or of a removed user): row locks cannot close that
     * gap, since the walk cannot see the not-yet-committed child.
     */
    lockLineage: async (em: EntityManager, companyId: string): Promise<void> => {
      await em.query(LINEAGE_LOCK, [companyId]);
    },

    list: (companyId: string, limit: number, after?: { name: string; id: string }): Promise<ServiceTokenRow[]> => {
      const qb = repo()
        .createQueryBuilder('t')
        .where('t.company_id = :companyId', { companyId })
        .andWhere('t.revoked_at IS NULL');
      if (after) qb.andWhere('(t.name, t.id) > (:name, :id)', after);
      return qb.orderBy('t.name', 'ASC').addOrderBy('t.id', 'ASC').limit(limit).getMany();
    },

    insert: async (
      em: EntityManager,
      t: Pick<ServiceTokenRow, 'companyId' | 'name' | 'tokenHash' | 'roles' | 'groups' | 'createdBy' | 'createdByToken' | 'expiresAt'>,
    ): Promise<ServiceTokenRow> => {
      try {
        return await repo(em).save(t);
      } catch (err) {
        if (isUniqueViolation(err, 'service_tokens_live_name_key')) {
          throw new ConflictError('An active token with this name already exists', {
            errors: [{ path: 'name', message: 'already in use' }],
          });
        }
        throw err;
      }
    },

    /**
     * Revokes live tokens — those given by id, or minted by the given user (with `beyond`: only
     * those carrying a role or group outside it) — together with every live token they minted,
     * transitively. Returns what it revoked.
     */
    revokeLineage: async (
      em: EntityManager,
      companyId: string,
      roots: { tokenId?: string; createdByUser?: string; beyond?: { roles: readonly string[]; groups: readonly string[] } },
      now: Date,
    ): Promise<RevokedToken[]> => {
      // Under the lineage lock, the walk below (a new statement, so a new snapshot) sees every
      // token minted before, and no mint can commit until this transaction does.
      await em.query(LINEAGE_LOCK, [companyId]);
      // A final SELECT (not a bare UPDATE … RETURNING), so the driver hands back plain rows.
      const rows: Array<{ id: string; name: string; created_by_token: string | null }> = await em.query(
        `WITH RECURSIVE lineage(id) AS (
           SELECT id FROM service_tokens
            WHERE company_id = $1 AND revoked_at IS NULL
              AND (id = $2 OR (created_by = $3 AND ($5::text[] IS NULL OR NOT (roles <@ $5::text[] AND groups <@ $6::text[]))))
           UNION
           SELECT t.id FROM service_tokens t JOIN lineage l ON t.created_by_token = l.id
            WHERE t.company_id = $1 AND t.revoked_at IS NULL
         ), revoked AS (
           UPDATE service_tokens SET revoked_at = $4
            WHERE company_id = $1 AND revoked_at IS NULL AND id IN (SELECT id FROM lineage)
            RETURNING id, name, created_by_token
         )
         SELECT id, name, created_by_token FROM revoked`,
        [companyId, roots.tokenId ?? null, roots.createdByUser ?? null, now, roots.beyond?.roles ?? null, roots.beyond?.groups ?? null],
      );
      return rows.map((r) => ({ id: r.id, name: r.name, createdByToken: r.created_by_token }));
    },

    touch: (id: string, now: Date) => repo().update({ id }, { lastUsedAt: now }),
  };
};

export type TokenRepository = ReturnType<typeof tokenRepositoryFactory>;
