import type { DataSource } from 'typeorm';
import type { NameCursor } from '../http/name-pages.js';

/** Tables listed in (name, id) order per company. Names come from code, never from input. */
type NamedTable = 'policies' | 'connectors' | 'workflows';

/** One page of a company's rows of `table` in (name, id) order, after `after`. */
export const namePage = async <R>(
  dataSource: DataSource,
  table: NamedTable,
  companyId: string,
  limit: number,
  after: NameCursor | undefined,
  fromSql: (row: Record<string, unknown>) => R,
): Promise<R[]> => {
  const rows: Array<Record<string, unknown>> = after
    ? await dataSource.query(
        `SELECT * FROM ${table} WHERE company_id = $1 AND (name, id) > ($2, $3) ORDER BY name, id LIMIT $4`,
        [companyId, after.name, after.id, limit],
      )
    : await dataSource.query(`SELECT * FROM ${table} WHERE company_id = $1 ORDER BY name, id LIMIT $2`, [
        companyId,
        limit,
      ]);
  return rows.map(fromSql);
};
