// Secret create → active latency, end to end through the real API and worker processes.
//   npx turbo run build --output-logs=errors-only && node bench/secret-latency.mjs
// Needs Postgres on 127.0.0.1:5432 (user postgres), Redis on 127.0.0.1:6379 and `python3 -m moto.server`.
//
// For each store (`local`, then `aws` against a fresh moto) it creates a throwaway database, starts
// `apps/api/dist/main.js` and `apps/worker/dist/main.js`, signs up, makes an Admin service token,
// warms up with 10 creates, then times N sequential `POST /api/v1/secrets` (default 200) from request
// start until the operation is `succeeded`: a 201 ends the clock at the response; a 202 is followed by
// polling `GET /api/v1/operations/{id}` (every 10 ms) until it succeeds. The same moto also gets N
// direct `CreateSecretCommand` calls as the floor the aws driver cannot beat. Per-operation Postgres
// timestamps split the server side into the queue hop and the worker's part.
//
// Everything it starts (processes, moto, databases, Redis keys under its prefix, temp dirs) is
// removed at the end, also on failure, Ctrl-C or the time budget (whole run < 5 min).
//
// Knobs (environment): BENCH_N (200), BENCH_WARMUP (10), BENCH_STORES (local,aws),
// BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres), REDIS_URL (redis://127.0.0.1:6379),
// BENCH_BUDGET_MS (270000: start cleaning up and exit 2 after this long; capped there),
// NEMBL_WRITE_WAIT_MS (passed through to the API; its default is 3000).
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import pg from 'pg';
import { checkStop, finish, log, scope, startBench, stop, wallTimeLine } from './lib/run.mjs';
import { fixed as f, stats } from './lib/stats.mjs';
import { eachStore, motoClient, parseStores } from './lib/stores.mjs';
import {
  REDIS_URL,
  childFailure,
  childWarnings,
  expectStatus,
  mintToken,
  requireBuilt,
  signUp,
  startSystem,
} from './lib/system.mjs';
import { fetchJson } from './lib/http.mjs';

const N = Number(process.env.BENCH_N ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const WRITE_WAIT_MS = process.env.NEMBL_WRITE_WAIT_MS;
const POLL_EVERY_MS = 10;
const OPERATION_TIMEOUT_MS = 30_000;

// The watchdog starts cleanup after BENCH_BUDGET_MS (capped at 270 s); a hard exit follows 25 s later.
startBench({ capMs: 270_000 });
requireBuilt();
const STORES = parseStores();

// ---------------------------------------------------------------------------------------------
// HTTP

const request = fetchJson;

// ---------------------------------------------------------------------------------------------
// Measurement

/** One create, timed until its operation has succeeded. */
const createOnce = async (base, auth, name, opTimeoutMs) => {
  const value = randomBytes(24).toString('base64url');
  const started = performance.now();
  const res = await request(base, 'POST', '/api/v1/secrets', {
    headers: { authorization: auth },
    body: { name, value },
  });
  if (res.status === 201) {
    const ms = performance.now() - started;
    const op = res.json?.operation;
    if (op?.status !== 'succeeded' || res.json?.secret?.status !== 'active') {
      throw new Error(`create ${name}: 201 but operation ${op?.status} / secret ${res.json?.secret?.status}`);
    }
    return { ms, status: 201, operationId: op.id, polls: 0 };
  }
  if (res.status !== 202) throw new Error(`create ${name}: HTTP ${res.status} ${res.text.slice(0, 400)}`);
  const id = res.json?.operation?.id;
  if (!id) throw new Error(`create ${name}: 202 without an operation id`);
  const deadline = Date.now() + opTimeoutMs;
  for (let polls = 1; ; polls++) {
    await delay(POLL_EVERY_MS);
    const op = expectStatus(
      `poll ${id}`,
      await request(base, 'GET', `/api/v1/operations/${id}`, { headers: { authorization: auth } }),
      200,
    ).json;
    if (op.status === 'succeeded') return { ms: performance.now() - started, status: 202, operationId: id, polls };
    if (op.status === 'failed') throw new Error(`create ${name}: operation ${id} failed: ${JSON.stringify(op.error)}`);
    if (Date.now() > deadline)
      throw new Error(`create ${name}: operation ${id} still ${op.status} after ${opTimeoutMs} ms`);
  }
};

/**
 * Server-side split of each operation (ms), from Postgres timestamps (operation created = start of
 * the API's transaction, started = worker's markRunning, finished = worker's finish transaction)
 * and BullMQ's job hash (timestamp = added by the API, processedOn = taken by the worker).
 */
const serverSplit = async (databaseUrl, prefix, results) => {
  const c = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await c.connect();
  let rows;
  try {
    ({ rows } = await c.query(
      `SELECT id, attempts,
              extract(epoch FROM created_at) * 1000 AS created,
              extract(epoch FROM started_at) * 1000 AS started,
              extract(epoch FROM finished_at) * 1000 AS finished
         FROM operations WHERE id = ANY($1::uuid[])`,
      [results.map((r) => r.operationId)],
    ));
  } finally {
    await c.end();
  }
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 3000, lazyConnect: true });
  redis.on('error', () => undefined);
  const jobs = new Map();
  try {
    await redis.connect();
    const pipe = redis.pipeline();
    for (const r of results) pipe.hmget(`${prefix}:secret-operations:${r.operationId}`, 'timestamp', 'processedOn');
    const answers = await pipe.exec();
    results.forEach((r, i) => {
      const [err, v] = answers[i];
      if (!err && v?.[0] && v?.[1]) jobs.set(r.operationId, { added: Number(v[0]), taken: Number(v[1]) });
    });
  } finally {
    redis.disconnect();
  }
  const byId = new Map(rows.map((r) => [r.id, r]));
  const parts = { enqueue: [], pickup: [], prep: [], hop: [], work: [], rest: [] };
  let retried = 0;
  for (const r of results) {
    const row = byId.get(r.operationId);
    if (!row || row.started === null || row.finished === null) continue;
    const created = Number(row.created);
    const started = Number(row.started);
    const finished = Number(row.finished);
    const job = jobs.get(r.operationId);
    if (job) {
      parts.enqueue.push(job.added - created);
      parts.pickup.push(job.taken - job.added);
      parts.prep.push(started - job.taken);
    }
    parts.hop.push(started - created);
    parts.work.push(finished - started);
    parts.rest.push(r.ms - (finished - created));
    if (Number(row.attempts) > 1) retried++;
  }
  return { ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stats(v)])), retried };
};

/** Starts api + worker for one store, measures N creates, tears everything down. */
const benchStore = (store, storeEnv) =>
  scope(async (defer) => {
    const { databaseUrl, prefix, base, api, worker } = await startSystem(defer, {
      store,
      request,
      prefix: 'bench',
      rateLimitPerMin: 1_000_000,
      storeEnv,
      env: WRITE_WAIT_MS !== undefined ? { NEMBL_WRITE_WAIT_MS: WRITE_WAIT_MS } : {},
    });
    const auth = `Bearer ${await mintToken(request, base, await signUp(request, base), 'bench', ['Admin'])}`;
    const tag = store === 'aws' ? 'a' : 'l';
    // The first warm-up create also proves the worker is up: it may answer 202 and be polled.
    for (let i = 0; i < WARMUP; i++) {
      if (worker.exited) throw childFailure(worker);
      await createOnce(base, auth, `warm-${tag}-${i}`, 60_000);
    }
    log(`${store}: warmed up; measuring ${N} creates`);
    const results = [];
    for (let i = 0; i < N; i++) {
      checkStop();
      if (worker.exited) throw new Error(`worker exited (${worker.exitCode}) during the run:\n${worker.tail.trim()}`);
      results.push(await createOnce(base, auth, `bench-${tag}-${i}`, OPERATION_TIMEOUT_MS));
    }
    // Authenticated-request floor: a cheap bearer GET (token check, rate limit, one select).
    const floor = [];
    for (let i = 0; i < 50; i++) {
      const id = results[i % results.length].operationId;
      const started = performance.now();
      expectStatus(
        'floor GET',
        await request(base, 'GET', `/api/v1/operations/${id}`, { headers: { authorization: auth } }),
        200,
      );
      floor.push(performance.now() - started);
    }
    const split = await serverSplit(databaseUrl, prefix, results);
    const warnings = childWarnings(api, worker);
    return {
      store,
      total: stats(results.map((r) => r.ms)),
      answered201: results.filter((r) => r.status === 201).length,
      answered202: results.filter((r) => r.status === 202).length,
      slow202: stats(results.filter((r) => r.status === 202).map((r) => r.ms)),
      split,
      floor: stats(floor),
      warnings,
    };
  });

/** N direct CreateSecretCommand calls to moto, shaped like the aws driver's. */
const benchDirect = async (endpoint) => {
  const client = motoClient(endpoint);
  const company = randomUUID();
  const send = (name) =>
    client.send(
      new CreateSecretCommand({
        Name: `nembl/${company}/${name}`,
        SecretString: randomBytes(24).toString('base64url'),
        ClientRequestToken: randomUUID(),
        Tags: [
          { Key: 'nembl:company-id', Value: company },
          { Key: 'nembl:secret-name', Value: name },
          { Key: 'managed-by', Value: 'nembl' },
        ],
      }),
      { abortSignal: stop.signal },
    );
  try {
    for (let i = 0; i < WARMUP; i++) await send(`direct-warm-${i}`);
    const times = [];
    for (let i = 0; i < N; i++) {
      const started = performance.now();
      await send(`direct-${i}`);
      times.push(performance.now() - started);
    }
    return stats(times);
  } finally {
    client.destroy();
  }
};

// ---------------------------------------------------------------------------------------------

const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);

const printReport = (runs, direct) => {
  const out = [];
  out.push('');
  out.push(
    `Secret create → active, ${N} sequential creates per store after ${WARMUP} warm-ups (ms; NEMBL_WRITE_WAIT_MS=${WRITE_WAIT_MS ?? '3000 (default)'})`,
  );
  out.push('');
  const head = ['path', 'n', '201', '202', 'p50', 'p95', 'mean', 'max'];
  const w = [44, 5, 5, 5, 8, 8, 8, 8];
  const row = (cells) => cells.map((c, i) => (i === 0 ? pad(c, w[i]) : padl(c, w[i]))).join(' ');
  out.push(row(head));
  out.push(row(w.map((n) => '-'.repeat(n))));
  for (const r of runs) {
    out.push(
      row([
        `POST /secrets → active, SECRET_STORE=${r.store}`,
        r.total.n,
        r.answered201,
        r.answered202,
        f(r.total.p50),
        f(r.total.p95),
        f(r.total.mean),
        f(r.total.max),
      ]),
    );
    const sub = (label, x) => out.push(row([`  ${label}`, x.n, '', '', f(x.p50), f(x.p95), f(x.mean), f(x.max)]));
    sub('op created → worker start', r.split.hop);
    sub('  API tx + commit + enqueue', r.split.enqueue);
    sub('  BullMQ: added → taken by worker', r.split.pickup);
    sub('  worker: load + order check', r.split.prep);
    sub('worker start → finished (store + tx)', r.split.work);
    sub('rest: API before tx, commit, NOTIFY,', r.split.rest);
    out.push(row(['    re-read, describe, HTTP']));
    sub('floor: bearer GET /operations/{id}', r.floor);
  }
  if (direct)
    out.push(
      row([
        'direct CreateSecretCommand → moto',
        direct.n,
        '',
        '',
        f(direct.p50),
        f(direct.p95),
        f(direct.mean),
        f(direct.max),
      ]),
    );
  out.push('');
  // Ratios to floors of the same run: the aws path ÷ one direct CreateSecret to the same moto; each
  // store ÷ its bearer GET (what any authenticated request costs on this box right now).
  for (const r of runs) {
    const parts = [`${r.store}: create → active p50 ÷ bearer GET p50 = ${f(r.total.p50 / r.floor.p50)}`];
    if (direct && r.store === 'aws') parts.push(`÷ direct CreateSecret p50 = ${f(r.total.p50 / direct.p50)}`);
    out.push(parts.join('; '));
  }
  out.push('');
  for (const r of runs) {
    if (r.answered202 > 0)
      out.push(
        `${r.store}: ${r.answered202} of ${r.total.n} creates answered 202 (p50 ${f(r.slow202.p50)} ms until succeeded).`,
      );
    if (r.split.retried > 0) out.push(`${r.store}: ${r.split.retried} operations needed more than one attempt.`);
    if (r.warnings.length > 0) out.push(`${r.store}: warn/error log lines: ${r.warnings.join('; ')}`);
  }
  out.push(wallTimeLine());
  process.stdout.write(`${out.join('\n')}\n`);
};

const main = async () => {
  const runs = [];
  let direct;
  await eachStore(STORES, async (store, storeEnv, motoEndpoint) => {
    if (motoEndpoint) {
      log(`moto on ${motoEndpoint}; ${N} direct CreateSecretCommand calls`);
      direct = await benchDirect(motoEndpoint);
    }
    runs.push(await benchStore(store, storeEnv));
  });
  printReport(runs, direct);
};

await finish(main());
