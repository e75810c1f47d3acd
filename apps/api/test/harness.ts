import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createDataSource, createLogger } from '@nembl/core';
import { createTestDatabase, uniqueQueuePrefix } from '@nembl/testkit';
import { Redis } from 'ioredis';
import { composeApi } from '../src/compose.js';
import { loadApiEnv } from '../src/env.js';
import { createServer } from '../src/server.js';

/** A clock tests can move. */
export const testClock = (start = new Date()) => {
  let t = start.getTime();
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
};

export interface TestApi {
  url: string;
  logs: string[];
  clock: ReturnType<typeof testClock>;
  composed: ReturnType<typeof composeApi>;
  dataSource: ReturnType<typeof createDataSource>;
  redis: Redis;
  close(): Promise<void>;
}

/** A real API on a random port, with its own database and Redis prefix, and captured logs. */
export const startTestApi = async (env: Record<string, string> = {}): Promise<TestApi> => {
  const db = await createTestDatabase();
  const dataSource = createDataSource({ url: db.url, poolSize: 5 });
  await dataSource.initialize();
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 });
  redis.on('error', () => undefined);
  if (!env.REDIS_URL) await new Promise((r) => redis.once('ready', r));
  const parsed = loadApiEnv({ NODE_ENV: 'test', NEMBL_QUEUE_PREFIX: uniqueQueuePrefix(), LOG_LEVEL: 'debug', ...env });
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger({ level: parsed.LOG_LEVEL, name: 'api-test', destination });
  const clock = testClock();
  const composed = composeApi({
    env: parsed,
    logger,
    dataSource,
    redis,
    sessionSecret: randomBytes(32),
    masterKey: randomBytes(32),
    webRoot: '/nonexistent',
    now: clock.now,
  });
  const app = createServer(composed.serverDeps);
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    clock,
    composed,
    dataSource,
    redis,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      redis.disconnect();
      await dataSource.destroy();
      await db.drop();
    },
  };
};

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/**
 * A minimal HTTP client like a browser or a machine would be: a cookie jar for the session,
 * the CSRF header for cookie writes, or a bearer token.
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
