import { ConflictError, returnedRows } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import { namePage } from '../db/name-page-repository.js';
import type { NameCursor } from '../http/name-pages.js';
import { isUniqueViolation } from '../http/pg-errors.js';
import type { WorkflowInput, WorkflowRow } from './workflow-types.js';

const fromSql = (r: Record<string, unknown>): WorkflowRow => ({
  id: r.id as string,
  companyId: r.company_id as string,
  name: r.name as string,
  phases: r.phases as WorkflowRow['phases'],
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

const duplicate = (name: string) =>
  new ConflictError(`A workflow named ${name} already exists`, { errors: [{ path: 'name', message: 'already in use' }] });

export const workflowRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  find: async (companyId: string, id: string, em?: EntityManager): Promise<WorkflowRow | null> => {
    const rows = await (em ?? dataSource.manager).query(`SELECT * FROM workflows WHERE company_id = $1 AND id = $2`, [companyId, id]);
    return rows[0] ? fromSql(rows[0]) : null;
  },

  list: (companyId: string, limit: number, after?: NameCursor): Promise<WorkflowRow[]> =>
    namePage(dataSource, 'workflows', companyId, limit, after, fromSql),

  insert: async (em: EntityManager, companyId: string, w: WorkflowInput): Promise<WorkflowRow> => {
    try {
      const rows = await em.query(`INSERT INTO workflows (company_id, name, phases) VALUES ($1, $2, $3) RETURNING *`, [
        companyId,
        w.name,
        JSON.stringify(w.phases),
      ]);
      return fromSql(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(w.name);
      throw err;
    }
  },

  replace: async (em: EntityManager, companyId: string, id: string, w: WorkflowInput): Promise<WorkflowRow | null> => {
    try {
      const rows = returnedRows<Record<string, unknown>>(
        await em.query(`UPDATE workflows SET name = $3, phases = $4, updated_at = now() WHERE company_id = $1 AND id = $2 RETURNING *`, [
          companyId,
          id,
          w.name,
          JSON.stringify(w.phases),
        ]),
      );
      return rows[0] ? fromSql(rows[0]) : null;
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(w.name);
      throw err;
    }
  },

  remove: (em: EntityManager, companyId: string, id: string) =>
    em.query(`DELETE FROM workflows WHERE company_id = $1 AND id = $2`, [companyId, id]),
});

export type WorkflowRepository = ReturnType<typeof workflowRepositoryFactory>;
