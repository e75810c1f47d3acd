import { ConflictError, UserEntity, type UserRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import { isUniqueViolation } from '../http/pg-errors.js';

export interface NewUser {
  email: string;
  name: string;
  passwordHash: string;
  roles: string[];
  groups: string[];
}

export const userRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  const repo = (em?: EntityManager) => (em ?? dataSource.manager).getRepository(UserEntity);

  return {
    /** Login looks a user up across companies: emails are unique service-wide. */
    findByEmail: (email: string): Promise<UserRow | null> =>
      repo()
        .createQueryBuilder('u')
        .where('lower(u.email) = lower(:email)', { email })
        .getOne(),

    find: (companyId: string, id: string, em?: EntityManager): Promise<UserRow | null> =>
      repo(em).findOneBy({ companyId, id }),

    list: (companyId: string, limit: number, after?: { email: string; id: string }): Promise<UserRow[]> => {
      const qb = repo().createQueryBuilder('u').where('u.company_id = :companyId', { companyId });
      if (after) qb.andWhere('(u.email, u.id) > (:email, :id)', after);
      return qb.orderBy('u.email', 'ASC').addOrderBy('u.id', 'ASC').limit(limit).getMany();
    },

    insert: async (em: EntityManager, companyId: string, user: NewUser): Promise<UserRow> => {
      try {
        return await repo(em).save({ companyId, ...user });
      } catch (err) {
        if (isUniqueViolation(err, 'users_email_key')) {
          throw new ConflictError('A user with this email already exists', { errors: [{ path: 'email', message: 'already in use' }] });
        }
        throw err;
      }
    },

    update: async (em: EntityManager, user: UserRow, patch: Partial<Pick<UserRow, 'name' | 'roles' | 'groups' | 'passwordHash'>>) => {
      await repo(em).update({ companyId: user.companyId, id: user.id }, { ...patch, updatedAt: new Date() });
      return { ...user, ...patch };
    },

    remove: (em: EntityManager, companyId: string, id: string) => repo(em).delete({ companyId, id }),

    /**
     * Locks the company's admins so two concurrent demotions cannot both see "another admin
     * remains" and leave the company with none.
     */
    lockAdmins: async (em: EntityManager, companyId: string): Promise<string[]> => {
      const rows: Array<{ id: string }> = await em.query(
        `SELECT id FROM users WHERE company_id = $1 AND 'Admin' = ANY(roles) ORDER BY id FOR UPDATE`,
        [companyId],
      );
      return rows.map((r) => r.id);
    },
  };
};

export type UserRepository = ReturnType<typeof userRepositoryFactory>;
