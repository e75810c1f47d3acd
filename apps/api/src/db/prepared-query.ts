import type { DataSource } from 'typeorm';

/** The part of node-postgres' pool a prepared query needs. */
interface PgPool {
  query(config: { name: string; text: string; values: readonly unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * Hot read statements as named (prepared) queries on the DataSource's own pg pool: Postgres
 * parses and plans each once per connection instead of on every request, and the call skips
 * TypeORM's per-query runner. Rows come back exactly as `dataSource.query` returns them (the same
 * driver and type parsers). Each name must always carry the same text.
 */
export const preparedQueries = (dataSource: DataSource) => {
  const pool = (): PgPool => (dataSource.driver as unknown as { master: PgPool }).master;
  return async <R>(name: string, text: string, values: readonly unknown[]): Promise<R[]> =>
    (await pool().query({ name, text, values })).rows as R[];
};

export type PreparedQuery = ReturnType<typeof preparedQueries>;
