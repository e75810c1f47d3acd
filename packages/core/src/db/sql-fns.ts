import type { EntityManager } from 'typeorm';

/** A statement runner: the DataSource's manager, or a transaction's EntityManager. */
export type Queryable = Pick<EntityManager, 'query'>;

/**
 * TypeORM's postgres driver answers UPDATE/DELETE … RETURNING with `[rows, affected]` but
 * SELECT and INSERT … RETURNING with `rows`; this gives the rows either way.
 */
export const returnedRows = <T = Record<string, unknown>>(result: unknown): T[] => {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as T[];
  }
  return result as T[];
};

/**
 * Positional parameters collected while a statement is built: `p(value)` appends the value and
 * answers its placeholder (`$1`, `$2`, … in the order used; `cast` is appended, e.g. `::uuid`).
 * The same build always numbers alike, so the text can be a prepared statement's.
 */
export const sqlParams = () => {
  const values: unknown[] = [];
  return { values, p: (v: unknown, cast = ''): string => `$${values.push(v)}${cast}` };
};

export type SqlParam = ReturnType<typeof sqlParams>['p'];
