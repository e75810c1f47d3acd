import { ConflictError, ServiceTokenEntity, type ServiceTokenRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import { IsNull } from 'typeorm';
import { isUniqueViolation } from '../http/pg-errors.js';

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
      t: Pick<ServiceTokenRow, 'companyId' | 'name' | 'tokenHash' | 'roles' | 'groups' | 'createdBy' | 'expiresAt'>,
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

    revoke: async (em: EntityManager, companyId: string, id: string, now: Date): Promise<boolean> => {
      const r = await repo(em).update({ companyId, id, revokedAt: IsNull() }, { revokedAt: now });
      return (r.affected ?? 0) > 0;
    },

    touch: (id: string, now: Date) => repo().update({ id }, { lastUsedAt: now }),
  };
};

export type TokenRepository = ReturnType<typeof tokenRepositoryFactory>;
