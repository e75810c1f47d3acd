// The API and worker under load, each figure next to a floor measured in the same run:
//   - an authenticated GET /api/v1/secrets/{name} (bearer token)  ÷  a bare node:http JSON response
//     (a child process answering a fixed JSON body of the same size: no framework, auth or database);
//   - GET /api/v1/secrets?limit=50 (first page, and a page further on) in a company of 10,000 secrets
//     ÷ the same bare response;
//   - worker creates/s: BENCH_CREATES secrets created with BENCH_CONCURRENCY requests in flight, until
//     every operation has succeeded, next to the bare server's responses/s at the same concurrency;
//   - peak RSS (VmHWM) of the api and worker processes after all of it (targets ≤ 200 MB, ≤ 250 MB).
//
//   npx turbo run build --output-logs=errors-only && node bench/api-capacity.mjs
//
// Starts the built API and worker (SECRET_STORE=local) on a throwaway database and Redis prefix, with
// NODE_OPTIONS as the Docker image sets it (BENCH_NODE_OPTIONS, default --max-semi-space-size=2; set
// it empty for Node's defaults), and removes everything at the end. Knobs: BENCH_N (500 sequential GETs per measure), BENCH_CREATES
// (1000), BENCH_CONCURRENCY (20), BENCH_LIST_SECRETS (10000), BENCH_BUDGET_MS.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { defer, finish, log, startBench, wallTimeLine } from './lib/run.mjs';
import { fixed as f, stats } from './lib/stats.mjs';
import {
  childWarnings,
  expectStatus,
  freePort,
  mintToken,
  requireBuilt,
  signUp,
  startChild,
  startSystem,
  stopChild,
} from './lib/system.mjs';
import { keepAliveClient } from './lib/http.mjs';

const N = Number(process.env.BENCH_N ?? 500);
const CREATES = Number(process.env.BENCH_CREATES ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const LIST_SECRETS = Number(process.env.BENCH_LIST_SECRETS ?? 10_000);
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? '--max-semi-space-size=2';

requireBuilt();
startBench({ capMs: 600_000 });

const { request } = keepAliveClient({ maxSockets: 256, timeoutMs: 30_000 });

const sequential = async (n, fn) => {
  const xs = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn(i);
    xs.push(performance.now() - s);
  }
  return stats(xs);
};

/** `total` calls of fn with `concurrency` in flight; returns calls per second. */
const throughput = async (total, concurrency, fn) => {
  let next = 0;
  const s = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await fn(next++);
    }),
  );
  return total / ((performance.now() - s) / 1000);
};

const peakRssMb = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const run = async () => {
  const out = [];
  const say = (line = '') => {
    out.push(line);
    log(line);
  };
  const sys = await startSystem(defer, {
    store: 'local',
    request,
    prefix: 'bench-cap',
    rateLimitPerMin: 10_000_000,
    env: { NODE_OPTIONS },
  });
  const session = await signUp(request, sys.base);
  const token = await mintToken(request, sys.base, session, 'bench', ['Admin']);
  const auth = { authorization: `Bearer ${token}` };
  const get = async (path) => expectStatus(`GET ${path}`, await request(sys.base, 'GET', path, { headers: auth }), 200);

  // One secret to read, and the list company's 10,000 secrets, seeded in SQL (the API's own create
  // path is measured below).
  expectStatus(
    'create',
    await request(sys.base, 'POST', '/api/v1/secrets', { headers: auth, body: { name: 'bench-read', value: 'x' } }),
    201,
    202,
  );
  const sql = new pg.Client({ connectionString: sys.databaseUrl });
  await sql.connect();
  defer('close sql', () => sql.end());
  await sql.query(
    `INSERT INTO secrets (company_id, name, type, status, version, created_by_type, created_by_label, tags)
     SELECT $1::uuid, 'list-' || lpad(g::text, 5, '0'), 'api_key', 'active', 1, 'system', 'bench', jsonb_build_object('env', 'prod')
       FROM generate_series(1, $2::int) g`,
    [session.companyId, LIST_SECRETS],
  );
  await sql.query('ANALYZE secrets');
  // Peak RSS after each phase, so a figure over target names the phase that raised it.
  const phases = [];
  const mark = (phase) =>
    phases.push(`${phase}: api ${f(peakRssMb(sys.api.pid), 0)}, worker ${f(peakRssMb(sys.worker.pid), 0)}`);
  mark('started');
  const sample = (await get('/api/v1/secrets/bench-read')).text;

  // The floor: a bare node:http server in its own process answering a body of the same size.
  const floorPort = await freePort();
  const body = JSON.stringify({ secret: { padding: 'x'.repeat(Math.max(0, sample.length - 30)) } });
  const floorServer = startChild(
    'bare node:http',
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q, s) => { s.writeHead(200, { 'content-type': 'application/json' }); s.end(process.env.BODY); }).listen(${floorPort}, '127.0.0.1')`,
    ],
    { ...process.env, BODY: body },
  );
  defer('stop bare server', () => stopChild(floorServer));
  const floorBase = `http://127.0.0.1:${floorPort}`;
  for (let i = 0; ; i++) {
    try {
      await request(floorBase, 'GET', '/');
      break;
    } catch (err) {
      if (i > 100) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // Warm both, then measure sequentially (keep-alive, one request at a time).
  for (let i = 0; i < 50; i++)
    await Promise.all([
      get('/api/v1/secrets/bench-read'),
      request(floorBase, 'GET', '/'),
      get('/api/v1/secrets?limit=50'),
    ]);
  const floor = await sequential(N, () => request(floorBase, 'GET', '/'));
  const authGet = await sequential(N, () => get('/api/v1/secrets/bench-read'));
  const firstPage = await sequential(Math.min(N, 200), () => get('/api/v1/secrets?limit=50'));
  let cursor;
  const page = await get('/api/v1/secrets?limit=50');
  cursor = page.json.nextCursor;
  const laterPage = await sequential(Math.min(N, 200), async () => {
    const res = await get(`/api/v1/secrets?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    cursor = res.json.nextCursor ?? page.json.nextCursor;
  });
  mark('gets and lists');
  const floor2 = await sequential(N, () => request(floorBase, 'GET', '/'));
  const fl = Math.min(floor.p50, floor2.p50);

  // Worker creates/s, end to end: each create is done when its operation has succeeded.
  const floorRps = await throughput(CREATES, CONCURRENCY, () => request(floorBase, 'GET', '/'));
  let accepted202 = 0;
  const createsPerSec = await throughput(CREATES, CONCURRENCY, async (i) => {
    const res = expectStatus(
      'create',
      await request(sys.base, 'POST', '/api/v1/secrets', {
        headers: auth,
        body: { name: `load-${i}`, value: `v-${i}` },
      }),
      201,
      202,
    );
    if (res.status === 201) return;
    accepted202 += 1;
    for (;;) {
      const op = await get(`/api/v1/operations/${res.json.operation.id}`);
      if (op.json.status === 'succeeded') return;
      if (op.json.status === 'failed') throw new Error(`operation failed: ${op.text}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  mark('creates');
  const apiRss = peakRssMb(sys.api.pid);
  const workerRss = peakRssMb(sys.worker.pid);
  const row = (label, st, floorP50) =>
    say(
      `  ${label.padEnd(44)} ${f(st.p50, 2).padStart(7)} ${f(st.p95, 2).padStart(7)} ${f(floorP50, 2).padStart(7)} ${f(st.p50 / floorP50, 1).padStart(7)}`,
    );
  say(
    `API capacity (SECRET_STORE=local, NODE_OPTIONS='${NODE_OPTIONS}', ${N} sequential keep-alive requests per line; ms)`,
  );
  say(
    `  ${'measure'.padEnd(44)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'floor'.padStart(7)} ${'ratio'.padStart(7)}`,
  );
  row('bare node:http JSON response (the floor)', floor, fl);
  row('authenticated GET /secrets/{name}', authGet, fl);
  row(`list ${LIST_SECRETS.toLocaleString('en')} secrets, first page of 50`, firstPage, fl);
  row(`list ${LIST_SECRETS.toLocaleString('en')} secrets, later pages of 50`, laterPage, fl);
  say(
    `  worker creates/s (POST → succeeded, ${CREATES} at concurrency ${CONCURRENCY}): ${f(createsPerSec, 0)}/s; floor: bare responses/s at the same concurrency ${f(floorRps, 0)}/s; ratio ${f(floorRps / createsPerSec, 1)}; ${accepted202} answered 202`,
  );
  say(`  peak RSS after the load: api ${f(apiRss, 0)} MB (target ≤ 200), worker ${f(workerRss, 0)} MB (target ≤ 250)`);
  say(`  peak RSS (MB) by phase: ${phases.join('; ')}`);
  const warnings = childWarnings(sys.api, sys.worker);
  if (warnings.length) say(`  warnings: ${warnings.join('; ')}`);
  say(`  ${wallTimeLine()}`);
  process.stdout.write(`${out.join('\n')}\n`);
};

await finish(run());
