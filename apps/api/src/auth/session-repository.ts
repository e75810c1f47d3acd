import { SessionEntity, type SessionRow, type UserRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export const sessionRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  const repo = (em?: EntityManager) => (em ?? dataSource.manager).getRepository(SessionEntity);
  return {
    create: (
      em: EntityManager | undefined,
      s: Pick<SessionRow, 'tokenHash' | 'userId' | 'companyId' | 'ip' | 'userAgent'>,
      now: Date,
    ): Promise<SessionRow> =>
      repo(em).save({ ...s, expiresAt: new Date(now.getTime() + SESSION_TTL_MS), lastSeenAt: now }),

    /** The live session for a cookie's hash, with its user, in one round trip. */
    findLive: async (tokenHash: Buffer, now: Date): Promise<{ session: SessionRow; user: UserRow } | null> => {
      const rows: Array<Record<string, unknown>> = await dataSource.query(
        `SELECT s.id AS s_id, s.company_id, s.user_id, s.expires_at, s.last_seen_at,
                u.email, u.name, u.roles, u.groups, u.created_at, u.updated_at, u.password_hash
           FROM sessions s JOIN users u ON u.id = s.user_id AND u.company_id = s.company_id
          WHERE s.token_hash = $1 AND s.expires_at > $2`,
        [tokenHash, now],
      );
      const r = rows[0];
      if (!r) return null;
      const session = {
        id: r.s_id,
        tokenHash,
        userId: r.user_id,
        companyId: r.company_id,
        expiresAt: r.expires_at,
        lastSeenAt: r.last_seen_at,
        createdAt: r.last_seen_at,
        ip: null,
        userAgent: null,
      } as SessionRow;
      const user = {
        id: r.user_id,
        companyId: r.company_id,
        email: r.email,
        name: r.name,
        roles: r.roles,
        groups: r.groups,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
        passwordHash: r.password_hash,
      } as UserRow;
      return { session, user };
    },

    touch: (id: string, now: Date) => repo().update({ id }, { lastSeenAt: now }),

    deleteByHash: (tokenHash: Buffer) => repo().delete({ tokenHash }),

    /** Ends a user's sessions, optionally keeping the one making the request. */
    deleteForUser: async (em: EntityManager | undefined, userId: string, exceptSessionId?: string): Promise<void> => {
      const qb = repo(em).createQueryBuilder().delete().where('user_id = :userId', { userId });
      if (exceptSessionId) qb.andWhere('id <> :exceptSessionId', { exceptSessionId });
      await qb.execute();
    },

    /** Drops a user's expired sessions (at each login, so the table does not grow without end). */
    purgeExpiredForUser: (em: EntityManager | undefined, userId: string, now: Date) =>
      repo(em)
        .createQueryBuilder()
        .delete()
        .where('user_id = :userId AND expires_at <= :now', { userId, now })
        .execute(),
  };
};

export type SessionRepository = ReturnType<typeof sessionRepositoryFactory>;
