import { randomBytes } from 'node:crypto';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createDataSource, createLogger, localSecretStoreFactory, redisConnection, type SecretStore } from '@nembl/core';
import { createTestDatabase, uniqueQueuePrefix } from '@nembl/testkit';
import { Redis } from 'ioredis';
import { composeWorker, type ComposedWorker } from '../../worker/src/compose.js';
import { loadWorkerEnv } from '../../worker/src/env.js';
import { composeApi } from '../src/compose.js';
import { loadApiEnv } from '../src/env.js';
import { createServer } from '../src/server.js';
import { openapiResponseValidator } from './openapi-validator.js';

/** Real time plus an offset tests can move (time keeps flowing, so timeouts still work). */
export const testClock = () => {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
};

export interface TestWorker {
  composed: ComposedWorker;
  logs: string[];
  stop(): Promise<void>;
  /** Like a crash: jobs in flight are abandoned and later detected as stalled. */
  kill(): Promise<void>;
}

export interface SystemOptions {
  /** Secret store shared by api and worker (default: the local driver on the test database). */
  store?: SecretStore;
  /** Wraps the default local store (e.g. with fault injection); api and worker share the result. */
  wrapStore?: (store: SecretStore) => SecretStore;
  /** Redis URL for the worker, when the API's REDIS_URL points at a test proxy. */
  workerRedisUrl?: string;
  /** Start a worker in this process (default true). */
  worker?: boolean;
  workerTiming?: Parameters<typeof composeWorker>[0]['timing'];
  /** Built console to serve at `/` (default: none, the API's placeholder). */
  webRoot?: string;
}

export interface TestApi {
  url: string;
  dbUrl: string;
  queuePrefix: string;
  masterKey: Buffer;
  logs: string[];
  worker?: TestWorker;
  /** Starts (another) worker process-equivalent against the same database and queues. */
  startWorker(opts?: { store?: SecretStore; timing?: SystemOptions['workerTiming'] }): Promise<TestWorker>;
  clock: ReturnType<typeof testClock>;
  composed: ReturnType<typeof composeApi>;
  dataSource: ReturnType<typeof createDataSource>;
  redis: Redis;
  close(): Promise<void>;
}

/** A real API on a random port, with its own database and Redis prefix, and captured logs. */
const captureStream = (logs: string[]) =>
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });

export const startTestApi = async (env: Record<string, string> = {}, opts: SystemOptions = {}): Promise<TestApi> => {
  const db = await createTestDatabase();
  const dataSource = createDataSource({ url: db.url, poolSize: 5 });
  await dataSource.initialize();
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 });
  redis.on('error', () => undefined);
  if (!env.REDIS_URL) await new Promise((r) => redis.once('ready', r));
  const queuePrefix = uniqueQueuePrefix();
  const parsed = loadApiEnv({ NODE_ENV: 'test', NEMBL_QUEUE_PREFIX: queuePrefix, LOG_LEVEL: 'debug', ...env });
  const logs: string[] = [];
  const logger = createLogger({ level: parsed.LOG_LEVEL, name: 'api-test', destination: captureStream(logs) });
  const clock = testClock();
  const masterKey = randomBytes(32);
  if (opts.wrapStore) opts = { ...opts, store: opts.wrapStore(localSecretStoreFactory({ dataSource, masterKey })) };
  const composed = composeApi({
    env: parsed,
    logger,
    dataSource,
    redis,
    sessionSecret: randomBytes(32),
    masterKey,
    ...(opts.store ? { store: opts.store } : {}),
    webRoot: opts.webRoot ?? '/nonexistent',
    databaseUrl: db.url,
    now: clock.now,
  });
  const app = createServer(composed.serverDeps);
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  const workers: TestWorker[] = [];

  const startWorker = async (w: { store?: SecretStore; timing?: SystemOptions['workerTiming'] } = {}): Promise<TestWorker> => {
    const workerDs = createDataSource({ url: db.url, poolSize: 5 });
    await workerDs.initialize();
    const connection = redisConnection(opts.workerRedisUrl ?? redisUrl, 'worker');
    const workerLogs: string[] = [];
    const store = w.store ?? opts.store;
    const composedWorker = composeWorker({
      env: loadWorkerEnv({ NODE_ENV: 'test', NEMBL_QUEUE_PREFIX: queuePrefix, LOG_LEVEL: 'debug', ...env }),
      logger: createLogger({ level: 'debug', name: 'worker-test', destination: captureStream(workerLogs) }),
      dataSource: workerDs,
      masterKey,
      queue: { connection, prefix: queuePrefix },
      ...(store ? { store } : {}),
      now: clock.now,
      timing: { relayEveryMs: 500, stalledIntervalMs: 1000, lockDurationMs: 2000, queuedGraceMs: 300, orderingDelayMs: 50, ...(opts.workerTiming ?? {}), ...(w.timing ?? {}) },
    });
    await composedWorker.start();
    let stopped = false;
    const tw: TestWorker = {
      composed: composedWorker,
      logs: workerLogs,
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await composedWorker.close();
        connection.disconnect();
        await workerDs.destroy();
      },
      kill: async () => {
        if (stopped) return;
        stopped = true;
        await composedWorker.close({ force: true });
        connection.disconnect();
      },
    };
    workers.push(tw);
    return tw;
  };
  const firstWorker = opts.worker === false ? undefined : await startWorker();

  return {
    url: `http://127.0.0.1:${port}`,
    dbUrl: db.url,
    queuePrefix,
    masterKey,
    logs,
    ...(firstWorker ? { worker: firstWorker } : {}),
    startWorker,
    clock,
    composed,
    dataSource,
    redis,
    close: async () => {
      for (const w of workers) await w.stop();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await composed.close();
      redis.disconnect();
      await dataSource.destroy();
      await db.drop();
    },
  };
};

/**
 * Another API process on `t`'s database and Redis, as a second replica runs (its own pool and
 * caches, silent logs). `databaseUrl` is what its LISTEN connection dials, `subscriberRedisUrl`
 * what its outcome and metadata subscription dials: a slow proxy there makes it hear changes late.
 */
export const startSecondApi = async (t: TestApi, links: { databaseUrl?: string; subscriberRedisUrl?: string } = {}) => {
  const dataSource = createDataSource({ url: t.dbUrl, poolSize: 3 });
  await dataSource.initialize();
  const composed = composeApi({
    env: loadApiEnv({ NODE_ENV: 'test', NEMBL_QUEUE_PREFIX: t.queuePrefix, LOG_LEVEL: 'silent' }),
    logger: createLogger({ level: 'silent', name: 'api-2', destination: new Writable({ write: (_c, _e, cb) => cb() }) }),
    dataSource,
    redis: t.redis,
    sessionSecret: randomBytes(32),
    masterKey: t.masterKey,
    webRoot: '/nonexistent',
    databaseUrl: links.databaseUrl ?? t.dbUrl,
    ...(links.subscriberRedisUrl ? { subscriberRedisUrl: links.subscriberRedisUrl } : {}),
    now: t.clock.now,
  });
  const server = createServer(composed.serverDeps).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    composed,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await composed.close();
      await dataSource.destroy();
    },
  };
};

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

// Built once per test file, at import: not inside the first request (a test's timing would pay for it).
const validator = openapiResponseValidator();

/**
 * A minimal HTTP client like a browser or a machine would be: a cookie jar for the session,
 * the CSRF header for cookie writes, or a bearer token. Every response it gets is checked against
 * the OpenAPI document (an undocumented status or a body off its schema fails the test).
 */
export class ApiClient {
  private cookie: string | undefined;
  csrf: string | undefined;
  bearer: string | undefined;

  constructor(readonly base: string) {}

  static withToken(base: string, token: string): ApiClient {
    const c = new ApiClient(base);
    c.bearer = token;
    return c;
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (body !== undefined && typeof body !== 'string') h['content-type'] ??= 'application/json';
    if (typeof body === 'string') h['content-type'] ??= 'application/json';
    if (this.cookie) h.cookie = this.cookie;
    if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
    if (this.csrf && !['GET', 'HEAD'].includes(method)) h['x-csrf-token'] ??= this.csrf;
    const res = await fetch(this.base + path, {
      method,
      headers: h,
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const [pair] = setCookie.split(';');
      this.cookie = pair && !pair.endsWith('=') ? pair : undefined;
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    const problem = validator(method, this.base + path, res.status, res.headers.get('content-type'), text === '' ? undefined : parsed);
    if (problem) throw new Error(`response off the OpenAPI document: ${problem}`);
    return { status: res.status, headers: res.headers, body: parsed as T, text };
  }

  get = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('GET', path, undefined, headers);
  post = <T = any>(path: string, body?: unknown, headers?: Record<string, string>) => this.request<T>('POST', path, body ?? {}, headers);
  put = <T = any>(path: string, body?: unknown) => this.request<T>('PUT', path, body ?? {});
  patch = <T = any>(path: string, body?: unknown) => this.request<T>('PATCH', path, body ?? {});
  delete = <T = any>(path: string, body?: unknown) => this.request<T>('DELETE', path, body);

  /** Signs up a new company and fetches the CSRF token, like the console does. */
  async signup(input: { companyName?: string; email?: string; password?: string; name?: string } = {}) {
    const email = input.email ?? `admin-${randomBytes(4).toString('hex')}@example.com`;
    const password = input.password ?? 'correct horse battery staple';
    const res = await this.post('/api/v1/auth/signup', {
      companyName: input.companyName ?? 'Acme',
      email,
      password,
      ...(input.name ? { name: input.name } : {}),
    });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`);
    await this.refreshCsrf();
    return { ...res.body, email, password } as { user: { id: string }; company: { id: string }; email: string; password: string };
  }

  async login(email: string, password: string) {
    const res = await this.post('/api/v1/auth/login', { email, password });
    if (res.status === 200) await this.refreshCsrf();
    return res;
  }

  async refreshCsrf() {
    const res = await this.get('/api/v1/auth/csrf');
    this.csrf = res.body?.token;
  }

  hasSession(): boolean {
    return this.cookie !== undefined;
  }

  rawCookieHeader(): string | undefined {
    return this.cookie;
  }
}

export const api = (base: string) => new ApiClient(base);

/** A loopback TCP proxy that delays everything the server sends back, and can be cut off. */
export const startSlowProxy = async (port: number, delayMs: number) => {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: TcpServer = createTcpServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(port, '127.0.0.1');
    upstream.on('data', (chunk) => void setTimeout(() => client.writable && client.write(chunk), delayMs));
    client.pipe(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', drop).on('close', () => {
        sockets.delete(s);
        drop();
      });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    restore: () => {
      refusing = false;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
};
