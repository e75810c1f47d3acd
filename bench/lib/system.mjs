// The system under test, as the benches run it: child processes (the built API and worker, moto),
// a throwaway Postgres database and Redis prefix, and a signed-up company with service tokens.
// Everything that is started registers its undo (see run.mjs) right after it exists.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { log, stop } from './run.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const API_MAIN = join(ROOT, 'apps/api/dist/main.js');
export const WORKER_MAIN = join(ROOT, 'apps/worker/dist/main.js');

// Knobs every bench shares (same names and defaults in each script's header).
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const READY_TIMEOUT_MS = 60_000;

export const rand = () => randomBytes(4).toString('hex');

/** Exits 1 with the build command when the API or worker has not been built. */
export const requireBuilt = () => {
  for (const [what, path] of [
    ['api', API_MAIN],
    ['worker', WORKER_MAIN],
  ]) {
    if (!existsSync(path)) {
      process.stderr.write(`${what} is not built (${path}); run: npx turbo run build --output-logs=errors-only\n`);
      process.exit(1);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Processes

export const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

// Last resort: whatever happens, no child outlives this process. Installed with the first child.
const liveChildren = new Set();
let exitHook = false;
const killLiveChildren = () => {
  for (const c of liveChildren) {
    try {
      if (c.group) process.kill(-c.pid, 'SIGKILL');
      else process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};

/** Spawns a child, keeps the tail of its output and counts its warn/error log lines (pino JSON). */
export const startChild = (name, command, args, env, { group = false } = {}) => {
  if (!exitHook) {
    process.on('exit', killLiveChildren);
    exitHook = true;
  }
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  const rec = { name, child, pid: child.pid, group, tail: '', warnings: new Map(), exited: false, exitCode: null };
  rec.exitedPromise = new Promise((resolve) => {
    const done = (code) => {
      rec.exited = true;
      rec.exitCode = code;
      liveChildren.delete(rec);
      resolve();
    };
    child.once('exit', (code, signal) => done(code ?? signal));
    child.once('error', (err) => done(err.message));
  });
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

export const signalChild = (rec, signal) => {
  if (rec.exited || rec.pid === undefined) return;
  try {
    if (rec.group) process.kill(-rec.pid, signal);
    else process.kill(rec.pid, signal);
  } catch {
    // already gone
  }
};

/** SIGTERM, then SIGKILL after 5 s. */
export const stopChild = async (rec) => {
  if (rec.exited) return;
  signalChild(rec, 'SIGTERM');
  signalChild(rec, 'SIGCONT'); // in case it was paused (SIGSTOP), or SIGTERM would wait forever
  const gone = await Promise.race([rec.exitedPromise.then(() => true), delay(5000, false, { ref: false })]);
  if (!gone) {
    log(`${rec.name} ignored SIGTERM for 5 s: SIGKILL`);
    signalChild(rec, 'SIGKILL');
    await Promise.race([rec.exitedPromise, delay(2000, undefined, { ref: false })]);
  }
  log(`${rec.name} stopped (${rec.exitCode})`);
};

export const childFailure = (rec) =>
  new Error(`${rec.name} exited (${rec.exitCode}) before it was ready:\n${rec.tail.trim()}`);

/** This process's environment without anything that configures the API or worker. */
export const childEnv = (extra) => {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(NEMBL_|AWS_|DATABASE_URL$|REDIS_URL$|SECRET_STORE$|PORT$|NODE_ENV$|LOG_LEVEL$|SMTP_URL$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
};

// ---------------------------------------------------------------------------------------------
// Infrastructure: a throwaway database and Redis prefix

const adminQuery = async (sql) => {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
};

/** Creates `<prefix>_<random>` and defers its DROP (… WITH (FORCE): leftover connections must not keep it). */
export const createDatabase = async (defer, { prefix = 'nembl_bench', logDrop = false } = {}) => {
  const name = `${prefix}_${rand()}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  defer(`drop database ${name}`, async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    if (logDrop) log(`dropped database ${name}`);
  });
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
};

/** Deletes every key under `<prefix>:` (BullMQ queues and jobs); returns how many. */
export const deleteRedisKeys = async (prefix) => {
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
// The API: readiness, sign-up, tokens. `request(base, method, path, opts)` is the bench's own HTTP
// client (fetch or a keep-alive http.Agent; they differ on purpose), answering { status, headers, json, text }.

export const expectStatus = (what, res, ...ok) => {
  if (!ok.includes(res.status)) throw new Error(`${what}: HTTP ${res.status} ${res.text.slice(0, 400)}`);
  return res;
};

export const waitReady = async (request, base, rec) => {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last;
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
    if (Date.now() > deadline) {
      throw new Error(`api not ready within ${READY_TIMEOUT_MS / 1000} s (${last}):\n${rec.tail.trim()}`);
    }
    await delay(100);
  }
};

/** Signs up a fresh company; returns its id and the session cookie + CSRF token that mint tokens. */
export const signUp = async (request, base) => {
  const signup = expectStatus(
    'signup',
    await request(base, 'POST', '/api/v1/auth/signup', {
      body: {
        companyName: `Bench ${rand()}`,
        email: `bench-${rand()}@example.com`,
        password: randomBytes(18).toString('base64url'),
      },
    }),
    201,
  );
  // fetch's Headers and node:http's header object spell Set-Cookie differently.
  const setCookies = signup.headers.getSetCookie?.() ?? signup.headers['set-cookie'] ?? [];
  const cookie = setCookies.map((c) => c.split(';')[0]).find((c) => c.startsWith('nembl_session='));
  if (!cookie) throw new Error('signup set no nembl_session cookie');
  const csrf = expectStatus('csrf', await request(base, 'GET', '/api/v1/auth/csrf', { headers: { cookie } }), 200);
  return { companyId: signup.json?.company?.id, cookie, csrf: csrf.json.token };
};

/** Mints a service token with `roles` for a signed-up session; returns the bare token. */
export const mintToken = async (request, base, session, name, roles) => {
  const res = expectStatus(
    `create ${name} token`,
    await request(base, 'POST', '/api/v1/tokens', {
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
      body: { name, roles },
    }),
    201,
  );
  if (typeof res.json?.token !== 'string') throw new Error('token response carries no token');
  return res.json.token;
};

/**
 * A throwaway database, Redis prefix and data dir, then the built API (waited for on /readyz) and
 * worker on them. Undos, last first: worker, API, data dir, Redis keys, database.
 * `apiNodeArgs(dataDir)` / `workerNodeArgs(dataDir)` add node flags (e.g. --cpu-prof); `apiSpawnedAt` is when it was spawned.
 */
export const startSystem = async (
  defer,
  {
    store,
    request,
    prefix: prefixBase,
    rateLimitPerMin,
    storeEnv,
    env: extraEnv = {},
    apiNodeArgs = () => [],
    workerNodeArgs = () => [],
  },
) => {
  const { url: databaseUrl } = await createDatabase(defer);
  const prefix = `{${prefixBase}-${rand()}}`;
  defer(`redis keys ${prefix}:*`, async () => {
    const n = await deleteRedisKeys(prefix);
    log(`${store}: deleted ${n} redis keys under ${prefix}:`);
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'nembl-bench-'));
  defer(`rm ${dataDir}`, () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = childEnv({
    ...extraEnv,
    NODE_ENV: 'development',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    NEMBL_QUEUE_PREFIX: prefix,
    NEMBL_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    NEMBL_RATE_LIMIT_API_PER_MIN: String(rateLimitPerMin),
    NEMBL_PUBLIC_URL: base,
    ...storeEnv,
  });

  log(`${store}: starting api on ${base} (db ${new URL(databaseUrl).pathname.slice(1)}, prefix ${prefix})`);
  const apiSpawnedAt = performance.now();
  const api = startChild(`api (${store})`, process.execPath, [...apiNodeArgs(dataDir), API_MAIN], env);
  defer(`stop ${api.name}`, () => stopChild(api));
  await waitReady(request, base, api);
  log(`${store}: api ready; starting worker`);
  const worker = startChild(`worker (${store})`, process.execPath, [...workerNodeArgs(dataDir), WORKER_MAIN], env);
  defer(`stop ${worker.name}`, () => stopChild(worker));
  return { databaseUrl, prefix, dataDir, base, api, worker, apiSpawnedAt, env };
};

/** Warn/error log lines of the given children, as `level: msg ×count`. */
export const childWarnings = (...recs) => recs.flatMap((r) => [...r.warnings]).map(([k, n]) => `${k} ×${n}`);
