import { z } from 'zod';
import { dateTimeOut, idOut } from '../http/response-schemas.js';
import { CompanyEntity, type CompanyRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';

export const companySchema = z.object({ id: idOut, name: z.string(), createdAt: dateTimeOut }).meta({ id: 'Company' });

export type CompanyJson = z.infer<typeof companySchema>;

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
