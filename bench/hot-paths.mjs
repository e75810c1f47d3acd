// Hot request paths next to the machine's floor, measured in one run (issue #12's table).
//   npx turbo run build --output-logs=errors-only && node bench/hot-paths.mjs
// Needs Postgres on 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379; `python3 -m moto.server`
// for the aws create row (skipped with BENCH_STORES=local).
//
// Floor: a bare `node:http` server in its own process answering a small JSON body (the least any
// HTTP answer from Node can cost here). Each throughput row runs autocannon (BENCH_CONNECTIONS=20
// connections, BENCH_DURATION_S=8 s) against the path and prints req/s next to the floor's req/s
// measured in the same run, and the ratio. Sequential rows time BENCH_SEQ_N (2000) requests one
// after another over one keep-alive connection and compare the p50 with the floor's.
// Create → active: p50 of BENCH_CREATE_N (100) sequential POST /secrets that answered 201, next to one
// direct CreateSecret to the same moto (aws) — the floor of a store write. The aws creates and the direct
// ones start on the same schedule, at half the deployment's shared AWS write limit (45/s), so the row
// times a create rather than the limiter.
//
// The company holds BENCH_SECRETS (10,000) secrets, inserted straight into Postgres (metadata only:
// the list path never touches the store); a tenth carry tag environment=production.
// Writes (local store, bench/lib/write-rows.mjs; BENCH_WRITES=0 skips them): accepted creates/s at
// saturation next to plain Postgres commits/s, "(for scale)" the same pipeline with bare node-postgres
// and BullMQ and no API (bench/lib/pipeline-floor.mjs), the worker's completions/s in the same window next to
// the accepted rate, and the p99 of creates sent open loop at BENCH_WRITE_RATE (200)/s next to the
// bare server's p99 on the same schedule, with "(for scale)" the bare pipeline's p99 on it.
// The API runs as `npm start` runs it: NEMBL_API_PROCESSES processes on one port (one per core, at
// most 4; the bare floor is one process); BENCH_API_PROCESSES=N runs N instead (an A/B).
// BENCH_PROFILE=1 starts one API process and the worker with --cpu-prof and prints their self
// time by function afterwards.
// BENCH_PROFILE_OUT=file keeps the API's .cpuprofile (the worker's as file.worker, before any .cpuprofile).
// BENCH_ROWS=healthz,me,detail,list,resolve runs only those read rows (default: all), so a profile
// shows one path.
// The load of a shared machine moves by a factor of several within a minute, so each read
// throughput row alternates BENCH_SLICES (4) slices of the path and of the floor, and each read
// sequential row measures the floor's p50 right before it (BENCH_ADJACENT_FLOOR=0: the start's).
// Rows marked "(for scale)" show what the data layer alone gives a path at the API's pool size:
// one secret's row, one page of rows, and the resolution's own fail-closed audit write.
// Each timed resolution row starts once the worker has chained every audit event waiting (the
// outbox is empty), and the worker's chaining rate for the throughput row's backlog is a row too.
// The figures are appended to bench/RESULTS.md with the commit and the load average (BENCH_RECORD=0: don't).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import autocannon from 'autocannon';
import pg from 'pg';
import { finish, log, loadAvg, scope, startBench, wallTimeLine } from './lib/run.mjs';
import { fixed, stats } from './lib/stats.mjs';
import { motoClient, startMoto } from './lib/stores.mjs';
import { pipelineFloor } from './lib/pipeline-floor.mjs';
import { writeRows } from './lib/write-rows.mjs';
import {
  ROOT,
  expectStatus,
  freePort,
  mintToken,
  rand,
  requireBuilt,
  signalChild,
  signUp,
  startChild,
  startSystem,
  stopChild,
} from './lib/system.mjs';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const SEQ_N = Number(process.env.BENCH_SEQ_N ?? 2000);
const CREATE_N = Number(process.env.BENCH_CREATE_N ?? 100);
const SECRETS = Number(process.env.BENCH_SECRETS ?? 10_000);
const STORES = (process.env.BENCH_STORES ?? 'local,aws').split(',');
const PROFILE = process.env.BENCH_PROFILE === '1';
// Aws creates start one per AWS_PACE_MS: half the default shared store write limit of 45/s.
const AWS_PACE_MS = Math.ceil(2 * (1000 / 45));
// The write rows (saturation, fixed rate; bench/lib/write-rows.mjs); BENCH_WRITES=0 skips them.
const WRITES = process.env.BENCH_WRITES !== '0';
// BENCH_ADJACENT_FLOOR=0: compare every row with the one floor measured at the start (else read
// throughput rows alternate BENCH_SLICES slices of path and floor).
const ADJACENT_FLOOR = process.env.BENCH_ADJACENT_FLOOR !== '0';
// The references of the resolved phase, one secret each.
const REFS = 10;
const ROWS = process.env.BENCH_ROWS ? new Set(process.env.BENCH_ROWS.split(',')) : undefined;
const runs = (key) => !ROWS || ROWS.has(key);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One request over the keep-alive agent: { status, headers, json, text }. */
const request = (base, method, path, { headers = {}, body, timeoutMs = 10_000 } = {}) =>
  new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
        },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode, headers: res.headers, json, text });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });

const FLOOR_SRC = `
const http = require('node:http');
const body = JSON.stringify({ status: 'ok' });
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\\n'));
`;

// The same bare answer, given only once a statement (AUDIT_SQL, with AUDIT_VALUES as JSON) has
// committed through a node-postgres pool of the API's size: what any resolution costs at least,
// an HTTP exchange plus its fail-closed audit write, with nothing else.
const FLOOR_AUDIT_SRC = `
const http = require('node:http');
const pg = require('pg');
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL) });
const text = process.env.AUDIT_SQL;
const values = JSON.parse(process.env.AUDIT_VALUES);
const body = JSON.stringify({ status: 'ok' });
http.createServer((req, res) => {
  pool.query({ name: 'audit', text, values }).then(() => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }, (err) => { res.writeHead(500); res.end(String(err.message)); });
}).listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\\n'));
`;

const startFloor = async (defer, src = FLOOR_SRC, env = {}) => {
  const port = await freePort();
  const rec = startChild('floor', process.execPath, ['-e', src], { ...process.env, ...env, PORT: String(port) });
  defer('stop floor', () => stopChild(rec));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await request(base, 'GET', '/').then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return base;
    await delay(50);
  }
  throw new Error('floor server did not start');
};

const throughput = (url, headers = {}, { method = 'GET', duration = DURATION_S } = {}) =>
  new Promise((resolve, reject) => {
    autocannon({ url, method, connections: CONNECTIONS, duration, headers }, (err, r) => {
      if (err) return reject(err);
      const bad = r.non2xx + r.errors + r.timeouts;
      if (bad > 0) return reject(new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`));
      resolve({ requests: r.requests.total, seconds: r.duration });
    });
  });

const rate = ({ requests, seconds }) => requests / seconds;

// Throughput rows alternate short slices of the path and of the floor, so both see the same load
// on a shared machine (its load moves by a factor of several within a minute here).
const SLICES = Number(process.env.BENCH_SLICES ?? 4);

/** req/s of the path and of the floor, measured in alternating slices adding up to DURATION_S each. */
const pairedThroughput = async (floorUrl, url, headers, method = 'GET') => {
  const sum = { path: { requests: 0, seconds: 0 }, floor: { requests: 0, seconds: 0 } };
  const add = (into, r) => {
    into.requests += r.requests;
    into.seconds += r.seconds;
  };
  for (let i = 0; i < SLICES; i++) {
    add(sum.floor, await throughput(floorUrl, {}, { duration: DURATION_S / SLICES }));
    add(sum.path, await throughput(url, headers, { method, duration: DURATION_S / SLICES }));
  }
  return { value: rate(sum.path), floor: rate(sum.floor) };
};

const sequential = async (base, method, path, opts = {}) => {
  const xs = [];
  for (let i = 0; i < SEQ_N; i++) {
    const t = performance.now();
    const r = await request(base, method, path, opts);
    xs.push(performance.now() - t);
    if (r.status >= 300) throw new Error(`${method} ${path}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
  }
  return stats(xs.slice(Math.floor(SEQ_N / 10))).p50; // first tenth is warm-up
};

/** Inserts `n` active secrets (metadata only) for the company, a tenth tagged environment=production. */
const seedSecrets = async (databaseUrl, companyId, n) => {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(
      `INSERT INTO secrets (company_id, name, type, description, tags, status, version, created_by_type, created_by_label, last_rotated_at)
       SELECT $1, 'bench-' || lpad(i::text, 6, '0'), 'api_key', 'bench secret ' || i,
              CASE WHEN i % 10 = 0 THEN '{"environment":"production","service":"bench"}'::jsonb ELSE '{"environment":"staging"}'::jsonb END,
              'active', 1, 'system', 'bench', now()
       FROM generate_series(1, $2::int) AS i`,
      [companyId, n],
    );
    await c.query('ANALYZE secrets');
  } finally {
    await c.end();
  }
};

// The API's own Postgres pool size (createDataSource's default), so the data layer is measured at the
// concurrency the API can give it.
const API_POOL = 10;

/**
 * Queries/s of one statement run back to back by API_POOL node-postgres clients for DURATION_S:
 * what the data layer alone can give a path, for scale next to the path itself.
 */
const sqlThroughput = async (databaseUrl, text, values) => {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: API_POOL });
  try {
    const end = performance.now() + DURATION_S * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: API_POOL }, async () => {
        while (performance.now() < end) {
          await pool.query({ name: 'bench', text, values });
          n += 1;
        }
      }),
    );
    return n / DURATION_S;
  } finally {
    await pool.end();
  }
};

const rows = [];
/**
 * Waits until the worker has chained every audit event waiting in the outbox (at most 3 min), so
 * a timed row does not share the machine with the backlog the row before it left; answers how
 * many events it chained meanwhile and in how many seconds.
 */
const auditDrained = async (databaseUrl) => {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const counts = async () =>
      (
        await c.query(
          `SELECT (SELECT count(*) FROM audit_outbox)::int AS waiting, (SELECT count(*) FROM audit_events)::int AS chained`,
        )
      ).rows[0];
    const start = await counts();
    const t0 = performance.now();
    let now = start;
    while (now.waiting > 0) {
      if (performance.now() - t0 > 180_000)
        throw new Error(`the worker left ${now.waiting} audit outbox rows unchained for 3 min`);
      await delay(50);
      now = await counts();
    }
    return { events: now.chained - start.chained, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await c.end();
  }
};

/** Waits (up to 2 min) until no autovacuum worker runs on the database; answers how many 100 ms waits it took. */
const autovacuumDone = async (databaseUrl) => {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    for (let waits = 0; ; waits++) {
      const { rows } = await c.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'autovacuum worker'`,
      );
      if (rows[0].n === 0 || waits >= 1200) return waits;
      await delay(100);
    }
  } finally {
    await c.end();
  }
};

const row = (path, what, value, floor, unit, target, higherIsBetter) => {
  const ratio = higherIsBetter ? value / floor : value / floor;
  rows.push({ path, what, value, floor, unit, ratio, target });
  log(
    `${path} ${what}: ${fixed(value, 2)} ${unit} (floor ${fixed(floor, 2)}, ratio ${fixed(ratio, 3)}, target ${target})`,
  );
};

const printTable = () => {
  const lines = [
    '| path | measure | figure | floor in the same run | ratio | target |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.path} | ${r.what} | ${fixed(r.value, r.unit === 'ms' ? 2 : 0)} ${r.unit} | ${fixed(r.floor, r.unit === 'ms' ? 2 : 0)} ${r.unit} | ${fixed(r.ratio, 3)}× | ${r.target} |`,
    ),
  ];
  return lines.join('\n');
};

/** The API processes the bench runs: as many as `npm start` runs (scripts/start.mjs), or one to profile, or BENCH_API_PROCESSES. */
const apiProcesses = async () =>
  PROFILE
    ? 1
    : process.env.BENCH_API_PROCESSES
      ? Number.parseInt(process.env.BENCH_API_PROCESSES, 10) || 1
      : (await import('../apps/api/dist/cluster.js')).defaultApiProcesses();

const profileSummary = (dataDir, which) => {
  const dir = join(dataDir, which);
  const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
  if (!file) return 'no profile written';
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const self = new Map();
  const dt = prof.timeDeltas;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  for (let i = 0; i < prof.samples.length; i++)
    counts.set(prof.samples[i], (counts.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
  let total = 0;
  for (const [id, us] of counts) {
    const n = byId.get(id);
    const f = n.callFrame;
    const where = f.url.includes('node_modules/')
      ? f.url.split('node_modules/').pop().split('/').slice(0, 2).join('/')
      : f.url.replace(/^.*\/(apps|packages)\//, '$1/');
    const key = `${f.functionName || '(anon)'} ${where}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  const out = process.env.BENCH_PROFILE_OUT;
  if (out) copyFileSync(join(dir, file), which === 'api' ? out : out.replace(/(\.cpuprofile)?$/, `.${which}$1`));
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
  return top.map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`).join('\n');
};

const main = async () => {
  requireBuilt();
  const processes = await apiProcesses();
  startBench({ capMs: 15 * 60_000 });
  await scope(async (defer) => {
    const floorBase = await startFloor(defer);
    const floorRps = rate(await throughput(`${floorBase}/`));
    const floorP50 = await sequential(floorBase, 'GET', '/');
    log(`floor: ${fixed(floorRps, 0)} req/s, p50 ${fixed(floorP50, 3)} ms`);

    let motoEndpoint;
    if (STORES.includes('aws')) motoEndpoint = await startMoto(defer);
    for (const store of STORES) {
      await scope(async (d2) => {
        const storeEnv =
          store === 'aws'
            ? {
                SECRET_STORE: 'aws',
                AWS_ENDPOINT_URL: motoEndpoint,
                AWS_REGION: 'us-east-1',
                AWS_ACCESS_KEY_ID: 'bench',
                AWS_SECRET_ACCESS_KEY: 'bench',
              }
            : { SECRET_STORE: 'local' };
        const sys = await startSystem(d2, {
          store,
          request,
          prefix: 'nembl-bench-hot',
          rateLimitPerMin: 10_000_000,
          storeEnv,
          // Stop at once on SIGTERM (no load-balancer drain), so a --cpu-prof profile is written before the bench's 5 s SIGKILL.
          // One API process to profile (a profile per process otherwise), or BENCH_API_PROCESSES.
          env: { NEMBL_SHUTDOWN_DRAIN_MS: '0', NEMBL_API_PROCESSES: String(processes) },
          apiNodeArgs: (dir) => (PROFILE && store === 'local' ? ['--cpu-prof', `--cpu-prof-dir=${dir}/api`] : []),
          workerNodeArgs: (dir) => (PROFILE && store === 'local' ? ['--cpu-prof', `--cpu-prof-dir=${dir}/worker`] : []),
        });
        const session = await signUp(request, sys.base);
        const admin = await mintToken(request, sys.base, session, 'bench-admin', ['Admin']);
        const runner = await mintToken(request, sys.base, session, 'bench-runner', ['Runner']);
        const auth = { authorization: `Bearer ${admin}` };
        const ok = (what, r, ...codes) => expectStatus(what, r, ...codes);

        // Create → active (sequential; only 201s count). The aws driver holds every worker to the
        // deployment's shared AWS write limit (NEMBL_STORE_WRITES_PER_SEC, 45/s, bursts of 9): back to
        // back creates would time that limiter (1/45 s each), not a create. So aws creates, and the
        // direct CreateSecret floor, start on a schedule at half that rate: latency, not quota.
        const paceMs = store === 'aws' ? AWS_PACE_MS : 0;
        const paced = async (i, t0) => {
          const wait = t0 + i * paceMs - performance.now();
          if (wait > 0) await delay(wait);
        };
        const creates = [];
        const createsFrom = performance.now();
        for (let i = 0; i < CREATE_N; i++) {
          await paced(i, createsFrom);
          const t = performance.now();
          const r = await request(sys.base, 'POST', '/api/v1/secrets', {
            headers: auth,
            body: { name: `c-${rand()}-${i}`, value: randomBytes(24).toString('base64url') },
          });
          const ms = performance.now() - t;
          ok('create', r, 201, 202);
          if (r.status === 201) creates.push(ms);
        }
        const createP50 = stats(creates.slice(Math.floor(creates.length / 10))).p50;
        if (store === 'aws') {
          const client = motoClient(motoEndpoint);
          const direct = [];
          const directFrom = performance.now();
          for (let i = 0; i < CREATE_N; i++) {
            await paced(i, directFrom);
            const t = performance.now();
            await client.send(
              new CreateSecretCommand({
                Name: `direct/${rand()}-${i}`,
                SecretString: randomBytes(24).toString('base64url'),
              }),
            );
            direct.push(performance.now() - t);
          }
          row(
            'create → active (aws, moto)',
            'p50',
            createP50,
            stats(direct.slice(Math.floor(direct.length / 10))).p50,
            'ms',
            '≤ 1.5× direct CreateSecret',
            false,
          );
          return; // the other rows do not depend on the store
        }
        row('create → active (local)', 'p50', createP50, 10, 'ms', '≤ 10 ms (floor column = target)', false);
        // For scale: the same hops and commits one at a time with bare node-postgres and BullMQ, no API.
        const { p50: pipelineP50 } = await pipelineFloor({
          databaseUrl: sys.databaseUrl,
          connections: 1,
          durationS: Math.min(DURATION_S, 5),
          workerConcurrency: 1,
        });
        row(
          '(for scale) create → active over the bare pipeline (node-postgres + BullMQ, no API, one at a time)',
          'p50',
          pipelineP50,
          10,
          'ms',
          '— (floor column: the 10 ms target)',
          false,
        );

        // Secrets for the list, and a workflow with REFS references for resolution.
        await seedSecrets(sys.databaseUrl, session.companyId, SECRETS);
        for (let i = 0; i < REFS; i++)
          ok(
            'ref secret',
            await request(sys.base, 'POST', '/api/v1/secrets', {
              headers: auth,
              body: { name: `ref-${i}`, value: `v-${i}-${rand()}` },
            }),
            201,
            202,
          );
        const env = Object.fromEntries(Array.from({ length: REFS }, (_, i) => [`S${i}`, `secret:ref-${i}`]));
        const wf = ok(
          'workflow',
          await request(sys.base, 'POST', '/api/v1/workflows', {
            headers: auth,
            body: { name: 'bench', phases: [{ name: 'deploy', env: { ...env, REGION: 'eu-west-1' } }] },
          }),
          201,
        );
        const run = ok(
          'run',
          await request(sys.base, 'POST', `/api/v1/workflows/${wf.json.workflow.id}/runs`, {
            headers: { authorization: `Bearer ${runner}` },
          }),
          201,
        );
        const resolvePath = `/api/v1/runs/${run.json.run.id}/phases/deploy/env`;
        const runnerAuth = { authorization: `Bearer ${runner}` };
        await delay(500); // let the worker finish the reference creates before the timed rows

        // The machine's load moves within a run: each read row's floor is measured again right before it.
        const floorNow = async () => (ADJACENT_FLOOR ? rate(await throughput(`${floorBase}/`)) : floorRps);
        // `base`: the API, or a for-scale server.
        const tp = async (label, path, headers, target, method = 'GET', base = sys.base) => {
          if (!ADJACENT_FLOOR) {
            const value = rate(await throughput(`${base}${path}`, headers, { method }));
            row(label, 'throughput', value, floorRps, 'req/s', target, true);
            return value;
          }
          const { value, floor } = await pairedThroughput(`${floorBase}/`, `${base}${path}`, headers, method);
          row(label, 'throughput', value, floor, 'req/s', target, true);
          return value;
        };
        const sq = async (label, method, path, headers, target, base = sys.base) => {
          const floor = ADJACENT_FLOOR ? await sequential(floorBase, 'GET', '/') : floorP50;
          row(
            label,
            'sequential p50',
            await sequential(base, method, path, { headers }),
            floor,
            'ms',
            target,
            false,
          );
        };

        if (runs('healthz')) await tp('GET /healthz', '/healthz', {}, '≥ 0.5×');
        if (runs('me')) {
          await tp('GET /api/v1/me (bearer)', '/api/v1/me', auth, '≥ 0.3×');
          await sq('GET /api/v1/me (bearer)', 'GET', '/api/v1/me', auth, '≤ 3×');
        }
        if (runs('detail')) {
          // For scale: one secret's row alone, straight from Postgres (no owners, versions, bindings, policy or HTTP).
          const rowFloor = await floorNow();
          const rowSql = await sqlThroughput(
            sys.databaseUrl,
            `SELECT * FROM secrets WHERE company_id = $1 AND name = $2 AND status <> 'deleted'`,
            [session.companyId, 'bench-000500'],
          );
          row('(for scale) SELECT of one secret, node-postgres', 'throughput', rowSql, rowFloor, 'req/s', '—', true);
          await tp('GET /api/v1/secrets/{name}', '/api/v1/secrets/bench-000500', auth, '≥ 0.3×');
          await sq('GET /api/v1/secrets/{name}', 'GET', '/api/v1/secrets/bench-000500', auth, '≤ 3×');
        }
        if (runs('list')) {
          // For scale: the page's rows alone, straight from Postgres (no owners, bindings, policy or HTTP).
          const pageFloor = await floorNow();
          const pageSql = await sqlThroughput(
            sys.databaseUrl,
            `SELECT * FROM secrets WHERE company_id = $1 AND status <> 'deleted' ORDER BY name LIMIT 51`,
            [session.companyId],
          );
          row('(for scale) SELECT of one page, node-postgres', 'throughput', pageSql, pageFloor, 'req/s', '—', true);
          await tp(`GET /api/v1/secrets?limit=50 (${SECRETS} secrets)`, '/api/v1/secrets?limit=50', auth, '≥ 0.15×');
          await tp(
            'GET /api/v1/secrets?limit=50&tag=environment:production',
            '/api/v1/secrets?limit=50&tag=environment:production',
            auth,
            '≥ 0.15×',
          );
        }
        if (runs('resolve')) {
          // For scale: the fail-closed audit write of one resolution alone, one commit each: the outbox
          // row of 10 events the API commits (audit.recordDurable: the fields the events share once,
          // per event its key, secret and reason), without the NOTIFY (the API sends one per 50 ms),
          // without the statement's check of the run and the secrets, and without sharing a commit
          // with concurrent resolutions (the API group-commits them).
          const shared = JSON.stringify({
            companyId: session.companyId,
            at: new Date().toISOString(),
            actor: { type: 'token', id: session.companyId, label: 'bench-runner' },
            action: 'secrets:read_value',
            decision: 'allow',
            count: 1,
            operationId: null,
            requestId: 'bench',
            ip: '127.0.0.1',
            userAgent: 'bench',
          });
          const auditStatement = `INSERT INTO audit_outbox (company_id, idempotency_key, event)
              SELECT $1::uuid, gen_random_uuid()::text, jsonb_build_object('shared', $2::jsonb, 'each', jsonb_agg(
                       jsonb_build_object('idempotencyKey', gen_random_uuid()::text, 'resource', jsonb_build_object('kind', 'secret', 'name', 'ref-' || i),
                                          'reason', 'run:' || $1 || ' phase:deploy version=1') ORDER BY i))
                FROM generate_series(0, ${REFS - 1}) AS i`;
          const auditFloor = await floorNow();
          const auditSql = await sqlThroughput(sys.databaseUrl, auditStatement, [session.companyId, shared]);
          row('(for scale) the audit write of a resolution', 'throughput', auditSql, auditFloor, 'req/s', '—', true);
          // Each sequential row starts with the outbox chained (the worker idle), as the resolution's does.
          await auditDrained(sys.databaseUrl);
          const seqClient = new pg.Client({ connectionString: sys.databaseUrl });
          await seqClient.connect();
          const commits = [];
          for (let i = 0; i < SEQ_N / 4; i++) {
            const t = performance.now();
            await seqClient.query({ name: 'bench', text: auditStatement, values: [session.companyId, shared] });
            commits.push(performance.now() - t);
          }
          await seqClient.end();
          const commitFloor = ADJACENT_FLOOR ? await sequential(floorBase, 'GET', '/') : floorP50;
          row(
            '(for scale) the audit write of a resolution',
            'sequential p50',
            stats(commits).p50,
            commitFloor,
            'ms',
            '—',
            false,
          );
          // For scale: a bare node:http server that answers each request once that audit write committed.
          await scope(async (d3) => {
            const auditBase = await startFloor(d3, FLOOR_AUDIT_SRC, {
              DATABASE_URL: sys.databaseUrl,
              POOL: String(API_POOL),
              AUDIT_SQL: auditStatement,
              AUDIT_VALUES: JSON.stringify([session.companyId, shared]),
            });
            const label = '(for scale) bare node:http answering after the audit write of a resolution';
            await tp(label, '/', {}, '—', 'GET', auditBase);
            await auditDrained(sys.databaseUrl);
            await sq(label, 'GET', '/', {}, '—', auditBase);
          });
          await auditDrained(sys.databaseUrl); // the worker chains them before the timed resolution rows
          const resolutions = await tp(
            `cached resolution, ${REFS} references`,
            resolvePath,
            runnerAuth,
            '≥ 0.15×',
            'POST',
          );
          // The backlog of chaining the throughput row leaves: the worker alone, at the machine's full
          // speed, next to the rate the resolutions above produced events (REFS each). Below 1×, sustained
          // resolutions are bounded by the chain (rate ÷ REFS), not by the API.
          const produced = resolutions * REFS;
          const chain = await auditDrained(sys.databaseUrl);
          row(
            "(for scale) the worker chaining the resolutions' audit events (hash chain, audit_events)",
            'events/s',
            chain.seconds > 0 ? chain.events / chain.seconds : 0,
            produced,
            'events/s',
            '— (floor column: events/s the throughput row produced)',
            true,
          );
          await sq(`cached resolution, ${REFS} references`, 'POST', resolvePath, runnerAuth, '≤ 4×');
        }

        if (WRITES) {
          const settle = async () => {
            const t0 = performance.now();
            const { events } = await auditDrained(sys.databaseUrl);
            const vacuums = await autovacuumDone(sys.databaseUrl);
            log(
              `settled in ${((performance.now() - t0) / 1000).toFixed(1)} s (${events} audit events chained, ${vacuums} autovacuum samples waited)`,
            );
          };
          await writeRows({ sys, auth, floorBase, durationS: DURATION_S, row, settle });
        }

        if (PROFILE) {
          // SIGINT: no load-balancer drain, so the profiles are written before any SIGKILL.
          for (const child of [sys.api, sys.worker]) signalChild(child, 'SIGINT');
          await Promise.race([Promise.all([sys.api.exitedPromise, sys.worker.exitedPromise]), delay(15_000)]);
          log(`API CPU profile (self time):\n${profileSummary(sys.dataDir, 'api')}`);
          log(`worker CPU profile (self time):\n${profileSummary(sys.dataDir, 'worker')}`);
        }
      });
    }
  });
  const table = printTable();
  process.stdout.write(`\n${table}\n\n${wallTimeLine()}\n`);
  if (process.env.BENCH_RECORD !== '0') {
    let commit = 'unknown';
    try {
      commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
    } catch {
      // not a checkout
    }
    appendFileSync(
      join(ROOT, 'bench/RESULTS.md'),
      `\n### hot paths — ${new Date().toISOString()} — commit ${commit}\n\n\`node bench/hot-paths.mjs\` (${CONNECTIONS} connections, ${DURATION_S} s; ${processes} API processes; load average at end ${loadAvg()})\n\n${table}\n`,
    );
  }
};

await finish(main());
