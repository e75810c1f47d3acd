import { ConflictError, returnedRows } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import { namePage } from '../db/name-page-repository.js';
import type { NameCursor } from '../http/name-pages.js';
import { isUniqueViolation } from '../http/pg-errors.js';
import type { ConnectorConfig, ConnectorKind, ConnectorRow } from './connector-types.js';

const fromSql = (r: Record<string, unknown>): ConnectorRow => ({
  id: r.id as string,
  companyId: r.company_id as string,
  name: r.name as string,
  kind: r.kind as ConnectorKind,
  config: r.config as ConnectorConfig,
  authSecret: r.auth_secret as string,
  createdAt: r.created_at as Date,
  updatedAt: r.updated_at as Date,
});

const duplicate = (name: string) =>
  new ConflictError(`A connector named ${name} already exists`, { errors: [{ path: 'name', message: 'already in use' }] });

export const connectorRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  find: async (companyId: string, id: string): Promise<ConnectorRow | null> => {
    const rows = await dataSource.query(`SELECT * FROM connectors WHERE company_id = $1 AND id = $2`, [companyId, id]);
    return rows[0] ? fromSql(rows[0]) : null;
  },

  list: (companyId: string, limit: number, after?: NameCursor): Promise<ConnectorRow[]> =>
    namePage(dataSource, 'connectors', companyId, limit, after, fromSql),

  insert: async (em: EntityManager, companyId: string, c: Pick<ConnectorRow, 'name' | 'kind' | 'config' | 'authSecret'>) => {
    try {
      const rows = await em.query(
        `INSERT INTO connectors (company_id, name, kind, config, auth_secret) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [companyId, c.name, c.kind, JSON.stringify(c.config), c.authSecret],
      );
      return fromSql(rows[0]);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(c.name);
      throw err;
    }
  },

  update: async (em: EntityManager, c: ConnectorRow): Promise<ConnectorRow> => {
    try {
      const rows = returnedRows<Record<string, unknown>>(
        await em.query(
          `UPDATE connectors SET name = $3, kind = $4, config = $5, auth_secret = $6, updated_at = now()
            WHERE company_id = $1 AND id = $2 RETURNING *`,
          [c.companyId, c.id, c.name, c.kind, JSON.stringify(c.config), c.authSecret],
        ),
      );
      return fromSql(rows[0]!);
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(c.name);
      throw err;
    }
  },

  remove: (em: EntityManager, companyId: string, id: string) =>
    em.query(`DELETE FROM connectors WHERE company_id = $1 AND id = $2`, [companyId, id]),
});

export type ConnectorRepository = ReturnType<typeof connectorRepositoryFactory>;
