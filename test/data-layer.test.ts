import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Every non-test TypeScript source of the apps and packages (migrations aside), as repository-relative paths. */
const sources = (): string[] => {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'migrations') walk(path);
      } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
        out.push(relative(root, path));
      }
    }
  };
  for (const group of ['apps', 'packages']) {
    for (const pkg of readdirSync(join(root, group), { withFileTypes: true })) {
      // The testkit is test infrastructure (it creates and drops the test databases).
      if (pkg.isDirectory() && pkg.name !== 'testkit') walk(join(root, group, pkg.name, 'src'));
    }
  }
  return out.sort();
};

const DATA_ACCESS = /\.query\(|createQueryBuilder|getRepository\(|manager\.(find|save|insert|update|delete)/;

/** Files that may hold SQL without being a `*-repository.ts`, and why. */
const ALLOWED = new Map<string, string>([
  ['packages/core/src/db/data-source.ts', 'the migration lock around TypeORM migrations'],
  ['packages/core/src/db/prepared-query.ts', 'named statements on the pool, for repositories'],
  ['packages/core/src/db/pg-listener.ts', 'LISTEN on a dedicated connection'],
]);

describe('data layer', () => {
  it('keeps SQL in repositories: no service, processor or composition root runs a query', () => {
    const offenders = sources().filter(
      (f) =>
        !f.endsWith('-repository.ts') &&
        !ALLOWED.has(f) &&
        DATA_ACCESS.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('builds queues in one module per app, from the contract in core', () => {
    const builders = new Set([
      'apps/api/src/queues.ts',
      'apps/worker/src/queues.ts',
      'packages/core/src/queues/queue-types.ts',
    ]);
    const offenders = sources().filter(
      (f) => !builders.has(f) && /createQueue\(|new Queue\(/.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('names jobs after their queue (enqueue, enqueueBulk), never with a string of their own', () => {
    const offenders = sources().filter((f) =>
      /\.(add|addBulk)\(\s*'|name:\s*'[a-z-]+'\s*,\s*data:/.test(readFileSync(join(root, f), 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('moves the reminder due date only through dueAtSql (or clears it)', () => {
    const problems: string[] = [];
    for (const f of sources()) {
      if (f === 'packages/core/src/reminders/reminder-fns.ts') continue;
      const text = readFileSync(join(root, f), 'utf8');
      // A statement that sets a due date gets it from dueAtSql, the SQL form of dueAt.
      const sets = [...text.matchAll(/reminder_next_due_at\s*=\s*([^,\n]*)/g)].filter((m) => m[1]!.trim() !== 'NULL');
      if (sets.length > 0 && !text.includes('dueAtSql(')) problems.push(`${f}: ${sets[0]![0].trim()} without dueAtSql`);
      // And nobody adds calendar days of their own (they follow the session time zone across DST).
      for (const m of text.matchAll(/make_interval\(\s*days|\* interval '1 day'|interval '1 day' \*/g))
        problems.push(`${f}: ${m[0]}`);
    }
    expect(problems).toEqual([]);
  });
});
