// Postgres at the scale of docs/scaling.md: 10,000 companies, 10,000,000 secrets (one store version
// each), in a fresh database this script creates, migrates, loads with INSERT … SELECT
// generate_series (secondary indexes dropped during the load and rebuilt from their own
// definitions), measures and drops. Prints load times, table and index sizes, and for the hot
// queries (the list page, its next page, tag and text filters, the pinning of 10 references,
// reading 10 pins back) the p50/p95 over random companies next to a `SELECT 1` floor measured on
// the same connection, with the ratio, and each query's EXPLAIN (ANALYZE, BUFFERS).
//
//   npx turbo run build --output-logs=errors-only && node bench/scale-10m.mjs
//
// Knobs: BENCH_SECRETS (10000000), BENCH_COMPANIES (10000), BENCH_SAMPLES (200 per query),
// BENCH_PG_URL (admin connection, postgres://postgres@127.0.0.1:5432/postgres), BENCH_BUDGET_MS.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { defer, finish, log, loadAvg, startBench, wallTimeLine } from './lib/run.mjs';
import { fixed as f, stats, timed } from './lib/stats.mjs';
import { createDatabase, ROOT } from './lib/system.mjs';

const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000_000);
const COMPANIES = Number(process.env.BENCH_COMPANIES ?? 10_000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const PER_COMPANY = Math.ceil(SECRETS / COMPANIES);
const CHUNK = 1_000_000;

const CORE = join(ROOT, 'packages/core/dist/index.js');
if (!existsSync(CORE)) {
  process.stderr.write(`not built (${CORE}); run: npx turbo run build --output-logs=errors-only\n`);
  process.exit(1);
}

startBench({ capMs: 3_600_000 });
const out = [];
const say = (line = '') => {
  out.push(line);
  log(line);
};
const mb = (bytes) => `${(Number(bytes) / 1024 / 1024).toFixed(0)} MB`;

// The hot queries, as the repositories run them (apps/api/src/secrets/secret-repository.ts `list`,
// which fetches max(2 × page, 100) rows for a page of 50; apps/api/src/runs/run-service.ts `pin`
// and `readPins`). Secret names are `svc-<n>` zero-padded, so a name is computable from a number.
const name = (i) => `svc-${String(i).padStart(6, '0')}`;
const QUERIES = {
  'list: first page (LIMIT 100)': {
    sql: `SELECT * FROM secrets WHERE company_id = $1 AND status <> 'deleted' ORDER BY name LIMIT 100`,
    params: (c) => [c],
  },
  'list: a later page (name > cursor)': {
    sql: `SELECT * FROM secrets WHERE company_id = $1 AND status <> 'deleted' AND name > $2 ORDER BY name LIMIT 100`,
    params: (c, r) => [c, name(Math.floor(r() * PER_COMPANY * 0.9))],
  },
  'list: tag filter env:prod': {
    sql: `SELECT * FROM secrets WHERE company_id = $1 AND status <> 'deleted' AND tags @> $2::jsonb ORDER BY name LIMIT 100`,
    params: (c) => [c, '{"env":"prod"}'],
  },
  'list: text search q=orders': {
    sql: `SELECT * FROM secrets WHERE company_id = $1 AND status <> 'deleted' AND (name ILIKE $2 OR description ILIKE $2) ORDER BY name LIMIT 100`,
    params: (c) => [c, '%orders%'],
  },
  'resolve: pin 10 references': {
    sql: `SELECT s.name, s.id, v.version, v.store_version_id
            FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
           WHERE s.company_id = $1 AND s.name = ANY($2) AND s.status = 'active'`,
    params: (c, r) => [c, Array.from({ length: 10 }, () => name(1 + Math.floor(r() * PER_COMPANY)))],
  },
  'resolve: read 10 pinned secrets by id': {
    sql: `SELECT s.id, s.company_id, s.name, s.type, s.tags, s.status, s.deleted_at FROM secrets s WHERE s.id = ANY($1::uuid[])`,
    params: (c, r, ids) => [Array.from({ length: 10 }, () => ids[Math.floor(r() * ids.length)])],
  },
};

/** A small deterministic PRNG, so runs compare query for query. */
const prng = (seed) => () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

const run = async () => {
  say(
    `Scale bench: ${SECRETS.toLocaleString('en')} secrets over ${COMPANIES.toLocaleString('en')} companies (${PER_COMPANY} each); load average ${loadAvg()}`,
  );
  const { name: dbName, url } = await createDatabase(defer, { prefix: 'nembl_scale', logDrop: true });
  log(`database ${dbName}`);

  const core = await import(CORE);
  const ds = core.createDataSource({ url, applicationName: 'bench-scale' });
  await ds.initialize();
  await core.runMigrations(ds);
  await ds.destroy();

  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  defer('close sql client', () => sql.end());
  const q = (text, params) => sql.query(text, params);

  // ---------------------------------------------------------------------------------------------
  // Load
  const t = {};
  await q(`SET synchronous_commit = off`);
  await q(`SET maintenance_work_mem = '512MB'`);
  // The bench owns this database: skip FK triggers during the load (every row is consistent by construction).
  await q(`SET session_replication_role = replica`);
  await q(`ALTER TABLE secrets SET (autovacuum_enabled = false)`);
  await q(`ALTER TABLE secret_versions SET (autovacuum_enabled = false)`);
  const indexes = (
    await q(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'secrets' AND indexname <> 'secrets_pkey' ORDER BY indexname`,
    )
  ).rows;
  for (const i of indexes) await q(`DROP INDEX ${i.indexname}`);

  [t.companies] = await timed(() =>
    q(
      `INSERT INTO companies (id, name) SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'Company ' || g
         FROM generate_series(1, $1::int) g`,
      [COMPANIES],
    ),
  );
  // Ids are made from the row number, so the primary key is built in order (a random uuid gives
  // the same sizes within ~30 % and the same plans). Within a company, secret k is `svc-<k>`.
  t.secrets = 0;
  for (let from = 1; from <= SECRETS; from += CHUNK) {
    const to = Math.min(SECRETS, from + CHUNK - 1);
    const [ms] = await timed(() =>
      q(
        `INSERT INTO secrets (id, company_id, name, type, description, tags, status, version, next_seq, created_by_type, created_by_label,
                              created_at, updated_at, last_rotated_at, reminder_interval_days, reminder_next_due_at, reminder_next_notify_at)
         SELECT ('10000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid,
                ('00000000-0000-4000-8000-' || lpad(to_hex(1 + (g - 1) / $3), 12, '0'))::uuid,
                'svc-' || lpad((1 + (g - 1) % $3)::text, 6, '0'),
                (ARRAY['api_key','oauth_token','password','certificate','custom'])[1 + g % 5],
                CASE WHEN g % 7 = 0 THEN 'database password for the orders service' ELSE 'token for a connector' END,
                jsonb_build_object('env', (ARRAY['prod','staging','dev'])[1 + g % 3], 'team', 'team-' || (g % 40)),
                CASE WHEN g % 50 = 0 THEN 'deleted' ELSE 'active' END,
                1, 1, 'user', 'bench',
                now() - make_interval(days => g % 365), now() - make_interval(days => g % 365), now() - make_interval(days => g % 90),
                CASE WHEN g % 5 < 2 THEN 90 END,
                CASE WHEN g % 5 < 2 THEN now() - make_interval(days => g % 90) + interval '90 days' END,
                CASE WHEN g % 5 < 2 THEN now() - make_interval(days => g % 90) + interval '90 days' END
           FROM generate_series($1::int, $2::int) g`,
        [from, to, PER_COMPANY],
      ),
    );
    t.secrets += ms;
    log(`secrets ${to.toLocaleString('en')} / ${SECRETS.toLocaleString('en')} (${f(ms / 1000)} s)`);
  }
  [t.versions] = await timed(() =>
    q(`INSERT INTO secret_versions (secret_id, version, store_version_id, operation_id, created_by_type, created_by_label)
       SELECT id, 1, md5(id::text), id, 'user', 'bench' FROM secrets`),
  );
  log(`secret_versions loaded (${f(t.versions / 1000)} s)`);
  t.indexes = {};
  for (const i of indexes) {
    [t.indexes[i.indexname]] = await timed(() => q(i.indexdef));
    log(`${i.indexname} built (${f(t.indexes[i.indexname] / 1000)} s)`);
  }
  await q(`SET session_replication_role = origin`);
  [t.analyze] = await timed(() => q(`VACUUM (ANALYZE) secrets, secret_versions, companies`));

  say('');
  say(
    `Load (s): companies ${f(t.companies / 1000)}, secrets ${f(t.secrets / 1000)} (${f(SECRETS / (t.secrets / 1000) / 1000, 0)} k rows/s), ` +
      `secret_versions ${f(t.versions / 1000)}, indexes ${Object.entries(t.indexes)
        .map(([k, v]) => `${k} ${f(v / 1000)}`)
        .join(', ')}, vacuum+analyze ${f(t.analyze / 1000)}`,
  );

  const sizes = (
    await q(`SELECT c.relname, c.relkind, pg_relation_size(c.oid) AS bytes, pg_total_relation_size(c.oid) AS total
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND (c.relname IN ('secrets', 'secret_versions') OR c.relname LIKE 'secrets\\_%' OR c.relname LIKE 'secret\\_versions\\_%')
                AND c.relkind IN ('r', 'i') ORDER BY c.relkind DESC, c.relname`)
  ).rows;
  say('');
  say('Sizes:');
  for (const s of sizes)
    say(
      `  ${s.relkind === 'r' ? 'table' : 'index'} ${s.relname.padEnd(32)} ${mb(s.bytes).padStart(8)}${s.relkind === 'r' ? `  (with indexes and TOAST ${mb(s.total)})` : ''}`,
    );
  const [{ size: dbSize }] = (await q(`SELECT pg_database_size(current_database()) AS size`)).rows;
  say(
    `  database total ${mb(dbSize)}; per secret (row + version + indexes): ${(Number(dbSize) / SECRETS).toFixed(0)} bytes`,
  );

  // ---------------------------------------------------------------------------------------------
  // Queries: p50/p95 over random companies, against a SELECT 1 floor on the same connection.
  const companyOf = (r) =>
    `00000000-0000-4000-8000-${(1 + Math.floor(r() * COMPANIES)).toString(16).padStart(12, '0')}`;
  const ids = Array.from(
    { length: 10_000 },
    (_, i) => `10000000-0000-4000-8000-${(1 + Math.floor((i / 10_000) * SECRETS)).toString(16).padStart(12, '0')}`,
  );
  const timeQuery = async (text, params) => {
    const s = performance.now();
    await sql.query({ text, values: params, name: undefined });
    return performance.now() - s;
  };
  const warm = prng(7);
  for (let i = 0; i < 50; i++) await timeQuery(QUERIES['list: first page (LIMIT 100)'].sql, [companyOf(warm)]);
  const floor = [];
  for (let i = 0; i < SAMPLES; i++) floor.push(await timeQuery('SELECT 1'));
  const fl = stats(floor);
  say('');
  say(
    `Query times (ms, ${SAMPLES} random companies each, client-measured over one connection; floor = SELECT 1 p50 ${f(fl.p50, 3)} ms):`,
  );
  say(
    `  ${'query'.padEnd(40)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'max'.padStart(8)} ${'p50 ÷ floor'.padStart(12)} rows`,
  );
  const plans = [];
  for (const [label, { sql: text, params }] of Object.entries(QUERIES)) {
    const r = prng(42);
    const xs = [];
    let rows = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const values = params(companyOf(r), r, ids);
      const s = performance.now();
      const res = await sql.query(text, values);
      xs.push(performance.now() - s);
      rows += res.rowCount;
    }
    const st = stats(xs);
    say(
      `  ${label.padEnd(40)} ${f(st.p50, 3).padStart(8)} ${f(st.p95, 3).padStart(8)} ${f(st.max, 3).padStart(8)} ${f(st.p50 / fl.p50, 1).padStart(12)} ${f(rows / SAMPLES, 1)}`,
    );
    const pr = prng(99);
    const plan = (await sql.query(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, params(companyOf(pr), pr, ids))).rows.map(
      (x) => x['QUERY PLAN'],
    );
    plans.push({ label, plan });
  }
  say('');
  for (const { label, plan } of plans) {
    say(`EXPLAIN (ANALYZE, BUFFERS) ${label}:`);
    for (const line of plan) say(`    ${line}`);
    say('');
  }
  say(wallTimeLine());
  process.stdout.write(`${out.join('\n')}\n`);
};

await finish(run());
