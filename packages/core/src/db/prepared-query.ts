import type { DataSource } from 'typeorm';
import { returnedRows } from './sql-fns.js';

type TypeParser = (text: string) => unknown;

/** The parts of node-postgres a prepared query needs. */
interface PgTypes {
  getTypeParser: (oid: number, format?: string) => TypeParser;
}
interface PgPool {
  query(config: {
    name: string;
    text: string;
    values: readonly unknown[];
    types: PgTypes;
  }): Promise<{ rows: unknown[] }>;
}
/** TypeORM's postgres driver: its pool and the pg module it loaded. */
interface PgDriver {
  master: PgPool;
  postgres: { types: PgTypes };
}

const TIMESTAMPTZ_OID = 1184;

const digits = (s: string, from: number, to: number): number => {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
};

/**
 * A `timestamptz` as Postgres prints it (ISO DateStyle: `2026-12-01 10:01:57.983721+00`, offsets
 * like `+05:30`), to the same Date node-postgres' own parser makes (milliseconds truncated), a few
 * times faster: a list page has a hundred and fifty of them. Undefined for anything else (BC,
 * infinity, years before 1000), which is left to the driver's parser.
 */
export const parseTimestamptz = (s: string): Date | undefined => {
  if (s.length < 22 || s[4] !== '-' || s[7] !== '-' || s[10] !== ' ' || s[13] !== ':' || s[16] !== ':')
    return undefined;
  let i = 19;
  let ms = 0;
  if (s[i] === '.') {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) >= 48 && s.charCodeAt(j) <= 57) j++;
    if (j === i + 1) return undefined;
    ms = digits(s.slice(i + 1, Math.min(j, i + 4)).padEnd(3, '0'), 0, 3);
    i = j;
  }
  const sign = s[i] === '+' ? 1 : s[i] === '-' ? -1 : 0;
  if (sign === 0) return undefined;
  const offsetHours = digits(s, i + 1, i + 3);
  let end = i + 3;
  let offsetMinutes = 0;
  if (s[end] === ':') {
    offsetMinutes = digits(s, end + 1, end + 3);
    end += 3;
  }
  if (end !== s.length) return undefined;
  const year = digits(s, 0, 4);
  if (!(year >= 1000)) return undefined;
  const utc = Date.UTC(
    year,
    digits(s, 5, 7) - 1,
    digits(s, 8, 10),
    digits(s, 11, 13),
    digits(s, 14, 16),
    digits(s, 17, 19),
    ms,
  );
  const t = utc - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  return Number.isNaN(t) ? undefined : new Date(t);
};

/** Runs a named statement and answers its rows. */
export type PreparedQuery = <R = Record<string, unknown>>(name: string, text: string, values: readonly unknown[]) => Promise<R[]>;

/**
 * Hot statements as named (prepared) queries on the DataSource's own pg pool: Postgres parses and
 * plans each once per connection instead of on every call, and the call skips TypeORM's
 * per-query runner. Rows come back as `dataSource.query` returns them (the same driver and type
 * parsers; timestamps through `parseTimestamptz`, which gives the same Dates). A name always
 * stands for one text. Without a pool to reach (a stand-in DataSource) the text runs as a plain
 * query.
 */
export const preparedQuery = (dataSource: Pick<DataSource, 'query'> & Partial<Pick<DataSource, 'driver'>>): PreparedQuery => {
  let types: PgTypes | undefined;
  const driver = () => dataSource.driver as unknown as PgDriver | undefined;
  const typesFor = (d: PgDriver): PgTypes => {
    if (!types) {
      const fallback = d.postgres.types;
      const timestamptz = fallback.getTypeParser(TIMESTAMPTZ_OID, 'text');
      const fast: TypeParser = (text) => parseTimestamptz(text) ?? timestamptz(text);
      types = {
        getTypeParser: (oid, format) => (oid === TIMESTAMPTZ_OID && format !== 'binary' ? fast : fallback.getTypeParser(oid, format)),
      };
    }
    return types;
  };
  return async <R>(name: string, text: string, values: readonly unknown[]): Promise<R[]> => {
    const d = driver();
    if (!d?.master) return returnedRows<R>(await dataSource.query(text, [...values]));
    return (await d.master.query({ name, text, values, types: typesFor(d) })).rows as R[];
  };
};
