import { CompanyEntity, type CompanyRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';

export interface CompanyJson {
  id: string;
  name: string;
  createdAt: string;
}

export const companyJson = (c: CompanyRow): CompanyJson => ({ id: c.id, name: c.name, createdAt: c.createdAt.toISOString() });

export const companyRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  create: (em: EntityManager, name: string): Promise<CompanyRow> => em.getRepository(CompanyEntity).save({ name }),
  get: async (id: string): Promise<CompanyRow> => {
    const row = await dataSource.getRepository(CompanyEntity).findOneBy({ id });
    if (!row) throw new Error(`company ${id} vanished`);
    return row;
  },
});

export type CompanyRepository = ReturnType<typeof companyRepositoryFactory>;
