import type { DataSource } from 'typeorm';
import { keepWithinBudget } from '../authz/evaluation-budget.js';

export interface NameCursor {
  name: string;
  id: string;
}

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

/**
 * Reads ahead through name-ordered pages keeping what `visible` allows, until it has more than
 * `limit` rows or the table ends — so policy filtering happens before paging and pages stay full.
 */
export const visiblePage = async <R extends NameCursor>(
  fetch: (after: NameCursor | undefined, n: number) => Promise<R[]>,
  visible: (row: R) => boolean,
  limit: number,
  after: NameCursor | undefined,
  batch = 200,
): Promise<R[]> => {
  const kept: R[] = [];
  let cursor = after;
  for (;;) {
    const rows = await fetch(cursor, batch);
    // Decided within the evaluation budget: a costly policy set cannot hold the event loop.
    kept.push(...(await keepWithinBudget(rows, visible)));
    if (kept.length > limit || rows.length < batch) return kept;
    const last = rows[rows.length - 1]!;
    cursor = { name: last.name, id: last.id };
  }
};
