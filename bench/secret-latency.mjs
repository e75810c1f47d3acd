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
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Redis } from 'ioredis';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const API_MAIN = join(ROOT, 'apps/api/dist/main.js');
const WORKER_MAIN = join(ROOT, 'apps/worker/dist/main.js');

const N = Number(process.env.BENCH_N ?? 200);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10);
const STORES = (process.env.BENCH_STORES ?? 'local,aws').split(',').map((s) => s.trim()).filter(Boolean);
const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WRITE_WAIT_MS = process.env.NEMBL_WRITE_WAIT_MS;
const POLL_EVERY_MS = 10;

// Time bounds. The watchdog starts cleanup at BUDGET_MS; a hard exit follows at HARD_EXIT_MS.
const BUDGET_MS = Math.min(270_000, Number(process.env.BENCH_BUDGET_MS ?? 270_000));
const HARD_EXIT_MS = BUDGET_MS + 25_000;
const READY_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 20_000;
const OPERATION_TIMEOUT_MS = 30_000;
const CLEANUP_STEP_MS = 10_000;

const t0 = performance.now();
const stop = new AbortController();
const log = (msg) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
const rand = () => randomBytes(4).toString('hex');
const loadAvg = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
};
const loadAtStart = loadAvg();

for (const [what, path] of [
  ['api', API_MAIN],
  ['worker', WORKER_MAIN],
]) {
  if (!existsSync(path)) {
    process.stderr.write(`${what} is not built (${path}); run: npx turbo run build --output-logs=errors-only\n`);
    process.exit(1);
  }
}
for (const s of STORES) {
  if (s !== 'local' && s !== 'aws') {
    process.stderr.write(`BENCH_STORES: unknown store ${s} (local, aws)\n`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------------------
// Cleanup: every resource registers its undo right after it exists. A scope runs its own undos
// (last first) when it ends; whatever is still registered runs on failure, signal or timeout.

const allUndos = [];

const withTimeout = (promise, ms, what) =>
  Promise.race([promise, delay(ms, undefined, { ref: false }).then(() => Promise.reject(new Error(`${what} timed out after ${ms} ms`)))]);

/** Runs an undo once; a second caller (scope end racing a signal) waits for the same run. */
const runUndo = (u) => {
  if (!u.running) {
    u.running = withTimeout(Promise.resolve().then(u.fn), CLEANUP_STEP_MS, `cleanup: ${u.what}`).catch((err) => {
      log(`cleanup step failed (${u.what}): ${err.message}`);
    });
  }
  return u.running;
};

const scope = async (body) => {
  const mine = [];
  const defer = (what, fn) => {
    const u = { what, fn };
    mine.push(u);
    allUndos.push(u);
  };
  try {
    return await body(defer);
  } finally {
    for (const u of mine.reverse()) await runUndo(u);
  }
};

let cleaningUp;
const cleanupAll = () => {
  cleaningUp ??= (async () => {
    for (const u of [...allUndos].reverse()) await runUndo(u);
  })();
  return cleaningUp;
};

const bail = (reason, code) => {
  if (!stop.signal.aborted) stop.abort(new Error(reason));
  log(`${reason}: cleaning up`);
  setTimeout(() => process.exit(code), HARD_EXIT_MS - BUDGET_MS).unref();
  void cleanupAll().finally(() => process.exit(code));
};
setTimeout(() => bail(`time budget of ${BUDGET_MS / 1000} s exceeded`, 2), BUDGET_MS).unref();
setTimeout(() => process.exit(3), HARD_EXIT_MS).unref();
process.once('SIGINT', () => bail('interrupted', 130));
process.once('SIGTERM', () => bail('terminated', 143));

// Last resort: whatever happens, no child outlives this process.
const liveChildren = new Set();
process.on('exit', () => {
  for (const c of liveChildren) {
    try {
      if (c.group) process.kill(-c.pid, 'SIGKILL');
      else process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Processes

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Spawns a child, keeps the tail of its output and its warn/error log lines (pino JSON). */
const startChild = (name, command, args, env, { group = false } = {}) => {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  const rec = { name, child, pid: child.pid, group, tail: '', warnings: new Map(), exited: false, exitCode: null };
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      rec.exited = true;
      rec.exitCode = code ?? signal;
      liveChildren.delete(rec);
      resolve();
    });
    child.once('error', (err) => {
      rec.exited = true;
      rec.exitCode = err.message;
      liveChildren.delete(rec);
      resolve();
    });
  });
  rec.exitedPromise = exited;
  let partial = '';
  const onData = (chunk) => {
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      // The API prints a generated first-admin password once; keep it out of error reports.
      if (/password/i.test(line) && !line.startsWith('{')) continue;
      rec.tail = `${rec.tail}${line}\n`.slice(-4000);
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line);
        // The generated development keys are expected here (fresh NEMBL_DATA_DIR each run).
        if (typeof entry.level === 'number' && entry.level >= 40 && !/generated a development key/.test(entry.msg)) {
          const key = `${entry.level >= 50 ? 'error' : 'warn'}: ${entry.msg}`;
          rec.warnings.set(key, (rec.warnings.get(key) ?? 0) + 1);
        }
      } catch {
        // not a log line
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  if (child.pid !== undefined) liveChildren.add(rec);
  return rec;
};

const signalChild = (rec, signal) => {
  if (rec.exited || rec.pid === undefined) return;
  try {
    if (rec.group) process.kill(-rec.pid, signal);
    else process.kill(rec.pid, signal);
  } catch {
    // already gone
  }
};

/** SIGTERM, then SIGKILL after 5 s. */
const stopChild = async (rec) => {
  if (rec.exited) return;
  signalChild(rec, 'SIGTERM');
  const gone = await Promise.race([rec.exitedPromise.then(() => true), delay(5000, false, { ref: false })]);
  if (!gone) {
    log(`${rec.name} ignored SIGTERM for 5 s: SIGKILL`);
    signalChild(rec, 'SIGKILL');
    await Promise.race([rec.exitedPromise, delay(2000, undefined, { ref: false })]);
  }
  log(`${rec.name} stopped (${rec.exitCode})`);
};

const childFailure = (rec) => new Error(`${rec.name} exited (${rec.exitCode}) before it was ready:\n${rec.tail.trim()}`);

const startMoto = async (defer) => {
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const rec = startChild('moto', 'python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], process.env, { group: true });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (rec.exited) break;
      try {
        await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
        defer('stop moto', () => stopChild(rec));
        return endpoint;
      } catch {
        // not yet
      }
      if (Date.now() > deadline || stop.signal.aborted) {
        await stopChild(rec);
        throw new Error(`moto did not answer on ${endpoint} within 30 s:\n${rec.tail.trim()}`);
      }
      await delay(100);
    }
    if (/No module named/i.test(rec.tail)) throw new Error(`moto is not installed (pip install 'moto[server]'):\n${rec.tail.trim()}`);
    if (!/address already in use/i.test(rec.tail)) throw childFailure(rec);
  }
  throw new Error('moto could not bind a free port after 3 tries');
};

// ---------------------------------------------------------------------------------------------
// Infrastructure: a throwaway database and Redis prefix

const createDatabase = async (defer) => {
  const name = `nembl_bench_${rand()}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  defer(`drop database ${name}`, async () => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

const deleteRedisKeys = async (prefix) => {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, connectTimeout: 3000, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
};

// ---------------------------------------------------------------------------------------------
// HTTP

const request = async (base, method, path, { headers = {}, body, timeoutMs = REQUEST_TIMEOUT_MS } = {}) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
};

const expectStatus = (what, res, ...ok) => {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 400)}`);
  return res;
};

const waitReady = async (base, rec) => {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  for (;;) {
    if (rec.exited) throw childFailure(rec);
    if (stop.signal.aborted) throw stop.signal.reason;
    try {
      const res = await request(base, 'GET', '/readyz', { timeoutMs: 3000 });
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${res.text.slice(0, 200)}`;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) throw new Error(`api not ready within ${READY_TIMEOUT_MS / 1000} s (${last}):\n${rec.tail.trim()}`);
    await delay(100);
  }
};

/** Signs up a fresh company and returns an Admin service token for bearer calls. */
const serviceToken = async (base) => {
  const signup = expectStatus(
    'signup',
    await request(base, 'POST', '/api/v1/auth/signup', {
      body: { companyName: `Bench ${rand()}`, email: `bench-${rand()}@example.com`, password: randomBytes(18).toString('base64url') },
    }),
    201,
  );
  const session = signup.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('nembl_session='));
  if (!session) throw new Error('signup set no nembl_session cookie');
  const csrf = expectStatus('csrf', await request(base, 'GET', '/api/v1/auth/csrf', { headers: { cookie: session } }), 200);
  const token = expectStatus(
    'create token',
    await request(base, 'POST', '/api/v1/tokens', {
      headers: { cookie: session, 'x-csrf-token': csrf.json.token },
      body: { name: 'bench', roles: ['Admin'] },
    }),
    201,
  );
  if (typeof token.json?.token !== 'string') throw new Error('token response carries no token');
  return token.json.token;
};

// ---------------------------------------------------------------------------------------------
// Measurement

const stats = (xs) => {
  if (xs.length === 0) return { n: 0, p50: NaN, p95: NaN, mean: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const at = (p) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  return { n: s.length, p50: at(0.5), p95: at(0.95), mean: s.reduce((a, b) => a + b, 0) / s.length, max: s[s.length - 1] };
};

/** One create, timed until its operation has succeeded. */
const createOnce = async (base, auth, name, opTimeoutMs) => {
  const value = randomBytes(24).toString('base64url');
  const started = performance.now();
  const res = await request(base, 'POST', '/api/v1/secrets', { headers: { authorization: auth }, body: { name, value } });
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
    const op = expectStatus(`poll ${id}`, await request(base, 'GET', `/api/v1/operations/${id}`, { headers: { authorization: auth } }), 200).json;
    if (op.status === 'succeeded') return { ms: performance.now() - started, status: 202, operationId: id, polls };
    if (op.status === 'failed') throw new Error(`create ${name}: operation ${id} failed: ${JSON.stringify(op.error)}`);
    if (Date.now() > deadline) throw new Error(`create ${name}: operation ${id} still ${op.status} after ${opTimeoutMs} ms`);
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

const childEnv = (extra) => {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(NEMBL_|AWS_|DATABASE_URL$|REDIS_URL$|SECRET_STORE$|PORT$|NODE_ENV$|LOG_LEVEL$|SMTP_URL$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...(WRITE_WAIT_MS !== undefined ? { NEMBL_WRITE_WAIT_MS: WRITE_WAIT_MS } : {}), ...extra };
};

/** Starts api + worker for one store, measures N creates, tears everything down. */
const benchStore = (store, storeEnv) =>
  scope(async (defer) => {
    const databaseUrl = await createDatabase(defer);
    const prefix = `bench-${rand()}`;
    defer(`redis keys ${prefix}:*`, async () => {
      const n = await deleteRedisKeys(prefix);
      log(`${store}: deleted ${n} redis keys under ${prefix}:`);
    });
    const dataDir = mkdtempSync(join(tmpdir(), 'nembl-bench-'));
    defer(`rm ${dataDir}`, () => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = childEnv({
      NODE_ENV: 'development',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      NEMBL_QUEUE_PREFIX: prefix,
      NEMBL_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NEMBL_RATE_LIMIT_API_PER_MIN: '1000000',
      NEMBL_PUBLIC_URL: base,
      ...storeEnv,
    });

    log(`${store}: starting api on ${base} (db ${new URL(databaseUrl).pathname.slice(1)}, prefix ${prefix})`);
    const api = startChild(`api (${store})`, process.execPath, [API_MAIN], env);
    defer(`stop ${api.name}`, () => stopChild(api));
    await waitReady(base, api);
    log(`${store}: api ready; starting worker`);
    const worker = startChild(`worker (${store})`, process.execPath, [WORKER_MAIN], env);
    defer(`stop ${worker.name}`, () => stopChild(worker));

    const auth = `Bearer ${await serviceToken(base)}`;
    const tag = store === 'aws' ? 'a' : 'l';
    // The first warm-up create also proves the worker is up: it may answer 202 and be polled.
    for (let i = 0; i < WARMUP; i++) {
      if (worker.exited) throw childFailure(worker);
      await createOnce(base, auth, `warm-${tag}-${i}`, 60_000);
    }
    log(`${store}: warmed up; measuring ${N} creates`);
    const results = [];
    for (let i = 0; i < N; i++) {
      if (stop.signal.aborted) throw stop.signal.reason;
      if (worker.exited) throw new Error(`worker exited (${worker.exitCode}) during the run:\n${worker.tail.trim()}`);
      results.push(await createOnce(base, auth, `bench-${tag}-${i}`, OPERATION_TIMEOUT_MS));
    }
    // Authenticated-request floor: a cheap bearer GET (token check, rate limit, one select).
    const floor = [];
    for (let i = 0; i < 50; i++) {
      const id = results[i % results.length].operationId;
      const started = performance.now();
      expectStatus('floor GET', await request(base, 'GET', `/api/v1/operations/${id}`, { headers: { authorization: auth } }), 200);
      floor.push(performance.now() - started);
    }
    const split = await serverSplit(databaseUrl, prefix, results);
    const warnings = [...api.warnings, ...worker.warnings].map(([k, n]) => `${k} ×${n}`);
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
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 3000, throwOnRequestTimeout: true },
  });
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

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const pad = (s, n) => String(s).padEnd(n);
const padl = (s, n) => String(s).padStart(n);

const printReport = (runs, direct) => {
  const out = [];
  out.push('');
  out.push(`Secret create → active, ${N} sequential creates per store after ${WARMUP} warm-ups (ms; NEMBL_WRITE_WAIT_MS=${WRITE_WAIT_MS ?? '3000 (default)'})`);
  out.push('');
  const head = ['path', 'n', '201', '202', 'p50', 'p95', 'mean', 'max'];
  const w = [44, 5, 5, 5, 8, 8, 8, 8];
  const row = (cells) => cells.map((c, i) => (i === 0 ? pad(c, w[i]) : padl(c, w[i]))).join(' ');
  out.push(row(head));
  out.push(row(w.map((n) => '-'.repeat(n))));
  for (const r of runs) {
    out.push(row([`POST /secrets → active, SECRET_STORE=${r.store}`, r.total.n, r.answered201, r.answered202, f(r.total.p50), f(r.total.p95), f(r.total.mean), f(r.total.max)]));
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
  if (direct) out.push(row(['direct CreateSecretCommand → moto', direct.n, '', '', f(direct.p50), f(direct.p95), f(direct.mean), f(direct.max)]));
  out.push('');
  for (const r of runs) {
    if (r.answered202 > 0) out.push(`${r.store}: ${r.answered202} of ${r.total.n} creates answered 202 (p50 ${f(r.slow202.p50)} ms until succeeded).`);
    if (r.split.retried > 0) out.push(`${r.store}: ${r.split.retried} operations needed more than one attempt.`);
    if (r.warnings.length > 0) out.push(`${r.store}: warn/error log lines: ${r.warnings.join('; ')}`);
  }
  out.push(`total wall time ${((performance.now() - t0) / 1000).toFixed(1)} s; ${cpus().length} cpus; load average ${loadAtStart} at start, ${loadAvg()} at end`);
  process.stdout.write(`${out.join('\n')}\n`);
};

const main = async () => {
  const runs = [];
  let direct;
  for (const store of STORES) {
    if (store === 'local') {
      runs.push(await benchStore('local', { SECRET_STORE: 'local' }));
    } else {
      await scope(async (defer) => {
        const endpoint = await startMoto(defer);
        log(`moto on ${endpoint}; ${N} direct CreateSecretCommand calls`);
        direct = await benchDirect(endpoint);
        runs.push(
          await benchStore('aws', {
            SECRET_STORE: 'aws',
            AWS_ENDPOINT_URL: endpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
          }),
        );
      });
    }
  }
  printReport(runs, direct);
};

main().then(
  async () => {
    await cleanupAll();
    process.exit(0);
  },
  async (err) => {
    if (!stop.signal.aborted) {
      log(`bench failed: ${err?.stack ?? err}`);
      await cleanupAll();
      process.exit(1);
    }
    // The watchdog or a signal is already cleaning up and will exit.
  },
);
