import { ConflictError, returnedRows } from '@nembl/core';
import type { PolicyDocument, StoredPolicy } from '@nembl/policy';
import type { DataSource, EntityManager } from 'typeorm';
import { namePage } from '../db/name-page-repository.js';
import type { NameCursor } from '../http/name-pages.js';
import { isUniqueViolation } from '../http/pg-errors.js';

export interface PolicyRow {
  id: string;
  companyId: string;
  name: string;
  description: string;
  document: PolicyDocument;
  createdAt: Date;
  updatedAt: Date;
}

const fromSql = (r: Record<string, unknown>): PolicyRow => ({
  id: r.id as string,
  companyId: r.company_id as string,
  name: r.name as string,
  description: r.description as string,
  document: r.document as PolicyDocument,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

const duplicate = (name: string) =>
  new ConflictError(`A policy named ${name} already exists`, { errors: [{ path: 'name', message: 'already in use' }] });

export const policyRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  const bump = (em: EntityManager, companyId: string) =>
    em.query(`UPDATE companies SET policy_version = policy_version + 1 WHERE id = $1`, [companyId]);

  return {
    /** The company's whole set, as the engine compiles it. */
    loadAll: async (companyId: string): Promise<StoredPolicy[]> => {
      const rows: Array<Record<string, unknown>> = await dataSource.query(
        `SELECT id, name, document FROM policies WHERE company_id = $1`,
        [companyId],
      );
      return rows.map((r) => ({ id: r.id as string, name: r.name as string, document: r.document as PolicyDocument }));
    },

    /**
     * The documents of the company's other policies, read after locking the company row, so two
     * concurrent writes cannot both pass the per-company limits (the second waits for the first).
     */
    lockOthers: async (em: EntityManager, companyId: string, exceptId?: string): Promise<PolicyDocument[]> => {
      await em.query(`SELECT 1 FROM companies WHERE id = $1 FOR UPDATE`, [companyId]);
      const rows: Array<{ document: PolicyDocument }> = await em.query(
        `SELECT document FROM policies WHERE company_id = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)`,
        [companyId, exceptId ?? null],
      );
      return rows.map((r) => r.document);
    },

    version: async (companyId: string): Promise<string> => {
      const rows: Array<{ policy_version: string }> = await dataSource.query(
        `SELECT policy_version FROM companies WHERE id = $1`,
        [companyId],
      );
      return String(rows[0]?.policy_version ?? '0');
    },

    list: (companyId: string, limit: number, after?: NameCursor): Promise<PolicyRow[]> =>
      namePage(dataSource, 'policies', companyId, limit, after, fromSql),

    find: async (companyId: string, id: string): Promise<PolicyRow | null> => {
      const rows: Array<Record<string, unknown>> = await dataSource.query(
        `SELECT * FROM policies WHERE company_id = $1 AND id = $2`,
        [companyId, id],
      );
      return rows[0] ? fromSql(rows[0]) : null;
    },

    insert: async (em: EntityManager, companyId: string, doc: PolicyDocument): Promise<PolicyRow> => {
      try {
        const rows = await em.query(
          `INSERT INTO policies (company_id, name, description, document) VALUES ($1, $2, $3, $4) RETURNING *`,
          [companyId, doc.name, doc.description ?? '', JSON.stringify(doc)],
        );
        await bump(em, companyId);
        return fromSql(rows[0]);
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicate(doc.name);
        throw err;
      }
    },

    replace: async (em: EntityManager, companyId: string, id: string, doc: PolicyDocument): Promise<PolicyRow | null> => {
      try {
        const rows = returnedRows<Record<string, unknown>>(
          await em.query(
            `UPDATE policies SET name = $3, description = $4, document = $5, updated_at = now()
              WHERE company_id = $1 AND id = $2 RETURNING *`,
            [companyId, id, doc.name, doc.description ?? '', JSON.stringify(doc)],
          ),
        );
        if (!rows[0]) return null;
        await bump(em, companyId);
        return fromSql(rows[0]);
      } catch (err) {
        if (isUniqueViolation(err)) throw duplicate(doc.name);
        throw err;
      }
    },

    remove: async (em: EntityManager, companyId: string, id: string): Promise<boolean> => {
      const rows = returnedRows(await em.query(`DELETE FROM policies WHERE company_id = $1 AND id = $2 RETURNING id`, [companyId, id]));
      if (rows.length > 0) await bump(em, companyId);
      return rows.length > 0;
    },
  };
};

export type PolicyRepository = ReturnType<typeof policyRepositoryFactory>;
