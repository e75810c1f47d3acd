import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createDataSource } from '@nembl/core';
import {
  createTestDatabase,
  freePort,
  MOTO_CREDENTIALS,
  MOTO_REGION,
  startAwsFaultProxy,
  startMoto,
  startOwnRedis,
  startTcpProxy,
  type AwsFaultProxy,
  type OwnRedis,
  type TcpProxy,
} from '@nembl/testkit';
import { expect } from 'vitest';
import { ApiClient } from '../harness.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const ENTRY = {
  api: join(repoRoot, 'apps/api/src/main.ts'),
  worker: join(repoRoot, 'apps/worker/src/main.ts'),
} as const;

/**
 * How many processes of each kind a case runs: one of each by default, or the scaled-out shape
 * (2 APIs, 3 workers on one Postgres and one Redis) with `CHAOS_SHAPE=multi`.
 */
export const shape = (): { apis: number; workers: number } =>
  process.env.CHAOS_SHAPE === 'multi' ? { apis: 2, workers: 3 } : { apis: 1, workers: 1 };

/** A real `api` or `worker` process, started from its entry point, that a test can kill. */
export interface Proc {
  kind: 'api' | 'worker';
  name: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGKILL: no cleanup of any kind, as a crash or an OOM kill. */
  kill9(): Promise<void>;
  /** SIGTERM, and the exit it leads to. */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Base URL, for an API. */
  url?: string;
}

export interface AcceptedWrite {
  kind: 'create' | 'update';
  name: string;
  value: string;
  operationId: string;
  status: number;
}

export interface System {
  dbUrl: string;
  redis: OwnRedis;
  /** TCP proxy between every process and Postgres (pause = Postgres unreachable). */
  pgLink: TcpProxy;
  /** TCP proxy between the processes and the store (pause = AWS unreachable). */
  storeLink: TcpProxy;
  /** Fault injection (throttling, slow answers) between the store link and moto. */
  aws: AwsFaultProxy;
  apis: Proc[];
  workers: Proc[];
  /** Every process ever started, killed or not (their logs are checked for values). */
  all: Proc[];
  startApi(): Promise<Proc>;
  startWorker(): Promise<Proc>;
  /** A signed-in client per API, used round-robin. */
  clients: ApiClient[];
  client(i: number): ApiClient;
  companyId: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface SystemOptions {
  /** NEMBL_OPERATION_LEASE_MS (and so the BullMQ lock) of the workers; short so takeovers are quick. */
  leaseMs?: number;
  env?: Record<string, string>;
  /** Start this many of each, instead of `shape()`. */
  apis?: number;
  workers?: number;
}

const waitUntil = async (what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
};

export const startSystem = async (opts: SystemOptions = {}): Promise<System> => {
  const want = {
    ...shape(),
    ...(opts.apis ? { apis: opts.apis } : {}),
    ...(opts.workers ? { workers: opts.workers } : {}),
  };
  const db = await createTestDatabase();
  const redis = await startOwnRedis();
  const moto = await startMoto();
  const aws = await startAwsFaultProxy(moto.endpoint);
  const awsPort = Number(new URL(aws.endpoint).port);
  const storeLink = await startTcpProxy('127.0.0.1', awsPort);
  const pgLink = await startTcpProxy('127.0.0.1', 5432);
  const dataDir = mkdtempSync(join(tmpdir(), 'nembl-chaos-'));
  const dbName = new URL(db.url).pathname.slice(1);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    DATABASE_URL: `postgres://postgres@127.0.0.1:${pgLink.port}/${dbName}`,
    REDIS_URL: redis.url,
    NEMBL_QUEUE_PREFIX: '{nembl}',
    NEMBL_MASTER_KEY: randomBytes(32).toString('base64'),
    NEMBL_SESSION_SECRET: randomBytes(32).toString('base64'),
    NEMBL_DATA_DIR: dataDir,
    NEMBL_BOOTSTRAP_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
    NEMBL_RATE_LIMIT_API_PER_MIN: '1000000',
    NEMBL_WRITE_WAIT_MS: '0',
    // Each api here is one process a test can kill (several are started as separate processes).
    NEMBL_API_PROCESSES: '1',
    NEMBL_OPERATION_LEASE_MS: String(opts.leaseMs ?? 2000),
    SECRET_STORE: 'aws',
    AWS_REGION: MOTO_REGION,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${storeLink.port}`,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    ...opts.env,
  };
  const all: Proc[] = [];
  const apis: Proc[] = [];
  const workers: Proc[] = [];

  const spawnProc = async (kind: 'api' | 'worker'): Promise<Proc> => {
    const port = kind === 'api' ? await freePort() : 0;
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', ENTRY[kind]], {
      cwd: repoRoot,
      env: { ...env, ...(kind === 'api' ? { PORT: String(port) } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    let done = false;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => {
        done = true;
        resolve({ code, signal });
      }),
    );
    const proc: Proc = {
      kind,
      name: `${kind}-${all.length}`,
      child,
      output: () => out,
      exited,
      alive: () => !done,
      kill9: async () => {
        if (!done) child.kill('SIGKILL');
        await exited;
      },
      terminate: async () => {
        if (!done) child.kill('SIGTERM');
        return exited;
      },
      ...(kind === 'api' ? { url: `http://127.0.0.1:${port}` } : {}),
    };
    all.push(proc);
    const ready =
      kind === 'api'
        ? async () => {
            try {
              return (await fetch(`${proc.url}/healthz`)).status === 200;
            } catch {
              return false;
            }
          }
        : () => out.includes('"worker started"');
    await waitUntil(
      `${proc.name} to start`,
      async () => {
        if (done) throw new Error(`${proc.name} exited during start:\n${out.slice(-2000)}`);
        return ready();
      },
      30_000,
    );
    return proc;
  };

  const startApi = async () => {
    const p = await spawnProc('api');
    apis.push(p);
    return p;
  };
  const startWorker = async () => {
    const p = await spawnProc('worker');
    workers.push(p);
    return p;
  };

  // One at a time: the first API creates the first company, the others find it.
  for (let i = 0; i < want.apis; i++) await startApi();
  await Promise.all(Array.from({ length: want.workers }, () => startWorker()));

  const first = new ApiClient(apis[0]!.url!);
  const account = await first.signup();
  const clients = [first];
  for (const p of apis.slice(1)) {
    const c = new ApiClient(p.url!);
    expect((await c.login(account.email, account.password)).status).toBe(200);
    clients.push(c);
  }

  const ds = createDataSource({ url: db.url, poolSize: 2 });
  await ds.initialize();

  return {
    dbUrl: db.url,
    redis,
    pgLink,
    storeLink,
    aws,
    apis,
    workers,
    all,
    startApi,
    startWorker,
    clients,
    client: (i) => clients[i % clients.length]!,
    companyId: account.company.id,
    query: (sql, params) => ds.query(sql, params),
    close: async () => {
      await Promise.all(all.map((p) => p.kill9()));
      await ds.destroy();
      await Promise.allSettled([storeLink.close(), pgLink.close(), aws.close()]);
      await Promise.allSettled([moto.stop(), redis.stop()]);
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

/** A value no test could produce by accident, so finding it anywhere is a leak. */
export const canary = (label: string) => `canary-${label}-${randomBytes(12).toString('hex')}`;

export interface Load {
  accepted: AcceptedWrite[];
  /** Requests refused with a status the case allows (e.g. 503 while Postgres is down). */
  refused: number[];
}

/**
 * A burst of writes through the APIs: `secrets` creates (unless `create: false`), then `updates` rounds of value
 * updates, each secret's in order, the secrets in parallel. A write refused because the
 * secret is still pending, or with an allowed status, is retried later and not counted as
 * accepted; anything else fails the test.
 */
export const burst = async (
  sys: System,
  o: {
    prefix: string;
    secrets: number;
    updates: number;
    create?: boolean;
    allow?: number[];
    load?: Load;
    onProgress?: (n: number) => void;
  },
): Promise<Load> => {
  const load = o.load ?? { accepted: [], refused: [] };
  const allow = new Set([409, ...(o.allow ?? [])]);
  let n = 0;
  const write = async (i: number, kind: 'create' | 'update', name: string) => {
    for (let attempt = 0; ; attempt++) {
      const value = canary(`${name}-${kind}`);
      const c = sys.client(i + attempt);
      let res;
      try {
        res =
          kind === 'create'
            ? await c.post('/api/v1/secrets', { name, value })
            : await c.put(`/api/v1/secrets/${name}/value`, { value });
      } catch (err) {
        throw new Error(`${kind} ${name}: no answer (${(err as Error).message})`);
      }
      if (res.status === 200 || res.status === 201 || res.status === 202) {
        load.accepted.push({ kind, name, value, operationId: res.body.operation.id, status: res.status });
        o.onProgress?.(++n);
        return;
      }
      if (!allow.has(res.status)) throw new Error(`${kind} ${name}: unexpected ${res.status} ${res.text}`);
      if (res.status !== 409) load.refused.push(res.status);
      if (attempt > 2000) throw new Error(`${kind} ${name}: never accepted`);
      await delay(100);
    }
  };
  await Promise.all(
    Array.from({ length: o.secrets }, async (_, i) => {
      const name = `${o.prefix}-${i}`;
      if (o.create !== false) await write(i, 'create', name);
      for (let u = 0; u < o.updates; u++) await write(i + u + 1, 'update', name);
    }),
  );
  return load;
};

const sdk = (sys: System) =>
  new SecretsManagerClient({
    region: MOTO_REGION,
    endpoint: sys.aws.endpoint,
    credentials: MOTO_CREDENTIALS,
    maxAttempts: 5,
  });

/**
 * The properties every fault case ends with: each accepted write succeeded exactly once, each
 * secret's version counts its accepted writes, the store holds the last accepted value and
 * exactly one version per accepted write, and no value is in Redis, Postgres, logs or failure
 * reasons.
 */
export const expectInvariants = async (sys: System, load: Load, timeoutMs = 90_000) => {
  const ids = load.accepted.map((a) => a.operationId);
  expect(new Set(ids).size).toBe(ids.length);
  await expect
    .poll(
      async () =>
        (
          await sys.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM operations WHERE id = ANY($1::uuid[]) AND status IN ('queued','running')`,
            [ids],
          )
        )[0]!.n,
      { timeout: timeoutMs, interval: 250 },
    )
    .toBe(0);
  const ops = await sys.query<{ id: string; status: string; error_code: string | null; versions: number }>(
    `SELECT o.id, o.status, o.error_code, (SELECT count(*)::int FROM secret_versions v WHERE v.operation_id = o.id) AS versions
       FROM operations o WHERE o.company_id = $1`,
    [sys.companyId],
  );
  const byId = new Map(ops.map((o) => [o.id, o]));
  for (const id of ids) expect(byId.get(id), `operation ${id}`).toMatchObject({ status: 'succeeded', versions: 1 });
  // Only accepted writes became operations (nothing half-written from a refused request).
  expect(ops.length).toBe(ids.length);
  // Each applied once in the audit log too, whether the event is still in the outbox or written.
  await expect
    .poll(
      async () =>
        (
          await sys.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM (
               SELECT operation_id::text AS id FROM audit_events WHERE company_id = $1 AND action LIKE 'secrets:%_succeeded'
               UNION ALL SELECT event->>'operationId' FROM audit_outbox WHERE event->>'action' LIKE 'secrets:%_succeeded') e`,
            [sys.companyId],
          )
        )[0]!.n,
      { timeout: 20_000 },
    )
    .toBe(ids.length);

  const names = [...new Set(load.accepted.map((a) => a.name))];
  const secrets = await sys.query<{ name: string; version: number; status: string }>(
    `SELECT name, version, status FROM secrets WHERE company_id = $1`,
    [sys.companyId],
  );
  expect(secrets.map((s) => s.name).sort()).toEqual([...names].sort());
  const client = sdk(sys);
  try {
    for (const name of names) {
      const writes = load.accepted.filter((a) => a.name === name);
      const secret = secrets.find((s) => s.name === name)!;
      expect(secret, name).toMatchObject({ status: 'active', version: writes.length });
      const storeId = `nembl/${sys.companyId}/${name}`;
      const current = await client.send(new GetSecretValueCommand({ SecretId: storeId }));
      expect(current.SecretString, `${name} current value`).toBe(writes.at(-1)!.value);
      const versions = await client.send(
        new ListSecretVersionIdsCommand({ SecretId: storeId, IncludeDeprecated: true }),
      );
      expect(versions.Versions?.length, `${name} store versions`).toBe(writes.length);
    }
  } finally {
    client.destroy();
  }

  await expectNoValueAnywhere(sys, load);
};

/** No accepted (or refused) value in Redis, in pg_dump, in any process's output, or in a failure reason. */
export const expectNoValueAnywhere = async (sys: System, load: Load) => {
  const values = load.accepted.map((a) => a.value);
  const redisDump = (await sys.redis.snapshot()).toString('latin1');
  const dump = spawnSync('pg_dump', ['--data-only', sys.dbUrl], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  expect(dump.status, dump.stderr).toBe(0);
  const logs = sys.all.map((p) => p.output()).join('\n');
  const reasons = (
    await sys.query<{ m: string }>(`SELECT coalesce(string_agg(error_message, ' '), '') AS m FROM operations`)
  )[0]!.m;
  // The searches look at real content: Redis holds the queues, the dump holds the secrets' rows.
  expect(values.length).toBeGreaterThan(0);
  expect(redisDump).toContain('{nembl}');
  expect(dump.stdout).toContain(load.accepted[0]!.name);
  for (const v of values) {
    expect(redisDump.includes(v), `value in Redis`).toBe(false);
    expect(dump.stdout.includes(v), `value in pg_dump`).toBe(false);
    expect(logs.includes(v), `value in logs`).toBe(false);
    expect(reasons.includes(v), `value in a failure reason`).toBe(false);
  }
};

/** Waits until every write accepted so far has finished (before a fault that would stall it). */
export const untilSettled = (sys: System, load: Load, timeoutMs = 30_000) =>
  waitUntil(
    'accepted writes to finish',
    async () =>
      (
        await sys.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM operations WHERE id = ANY($1::uuid[]) AND status IN ('queued','running')`,
          [load.accepted.map((a) => a.operationId)],
        )
      )[0]!.n === 0,
    timeoutMs,
  );

/** Waits until `n` operations of the company are `running` (workers are inside the store call). */
export const untilRunning = (sys: System, n: number, timeoutMs = 20_000) =>
  waitUntil(
    `${n} running operations`,
    async () =>
      (await sys.query<{ n: number }>(`SELECT count(*)::int AS n FROM operations WHERE status = 'running'`))[0]!.n >= n,
    timeoutMs,
  );
