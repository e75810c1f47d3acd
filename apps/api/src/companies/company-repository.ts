import { z } from 'zod';
import { dateTimeOut, idOut } from '../http/response-schemas.js';
import { CompanyEntity, type CompanyRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';

export const companySchema = z.object({ id: idOut, name: z.string(), createdAt: dateTimeOut }).meta({ id: 'Company' });

export type CompanyJson = z.infer<typeof companySchema>;

export const companyJson = (c: CompanyRow): CompanyJson => ({ id: c.id, name: c.name, createdAt: c.createdAt.toISOString() });

/** Advisory lock key serializing first-start bootstraps (see `bootstrapFirstCompany`). */
const BOOTSTRAP_LOCK = 7_311_990_002;

export const companyRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  create: (em: EntityManager, name: string): Promise<CompanyRow> => em.getRepository(CompanyEntity).save({ name }),
  /** Held until `em`'s transaction ends: API processes starting together bootstrap one at a time. */
  lockBootstrap: async (em: EntityManager): Promise<void> => {
    await em.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK]);
  },
  anyExists: async (em: EntityManager): Promise<boolean> => {
    const rows: Array<{ any: boolean }> = await em.query('SELECT EXISTS (SELECT 1 FROM companies) AS any');
    return rows[0]?.any === true;
  },
  get: async (id: string): Promise<CompanyRow> => {
    const row = await dataSource.getRepository(CompanyEntity).findOneBy({ id });
    if (!row) throw new Error(`company ${id} vanished`);
    return row;
  },
});

export type CompanyRepository = ReturnType<typeof companyRepositoryFactory>;
