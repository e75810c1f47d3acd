import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

/** A real upstream on loopback whose answer the test shapes (slow drip, endless body). */
const startUpstream = async (handle: (res: ServerResponse) => void) => {
  const open = new Set<ServerResponse>();
  let written = 0;
  let closed = 0;
  const server: Server = createServer((_req, res) => {
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      closed++;
    });
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: never[]) => {
      written += Buffer.byteLength(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    handle(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    written: () => written,
    closed: () => closed,
    close: () => {
      for (const res of open) res.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
};

const TIMEOUT_MS = 1500;
let t: TestApi;

beforeAll(async () => {
  t = await startTestApi({ NEMBL_CONNECTOR_TEST_TIMEOUT_MS: String(TIMEOUT_MS) });
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const connectorTo = async (baseUrl: string) => {
  const admin = new ApiClient(t.url);
  await admin.signup();
  expect((await admin.post('/api/v1/secrets', { name: 'api-key', value: 'drip-canary' })).status).toBe(201);
  const created = await admin.post('/api/v1/connectors', {
    name: 'c',
    kind: 'http',
    config: { baseUrl },
    authSecret: 'api-key',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { admin, id: created.body.connector.id as string };
};

describe('connector test calls are bounded', () => {
  it('gives up at the overall deadline on an upstream that drips one byte at a time', async () => {
    // Each byte arrives well within the idle timeout, so only an overall deadline ends the call.
    const timers: NodeJS.Timeout[] = [];
    const upstream = await startUpstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      timers.push(setInterval(() => res.write(' '), 200));
    });
    try {
      const { admin, id } = await connectorTo(upstream.url);
      const started = performance.now();
      const res = await admin.post(`/api/v1/connectors/${id}/test`);
      const took = performance.now() - started;
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ ok: false, status: 0, error: expect.stringContaining(`${TIMEOUT_MS} ms`) });
      expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(took).toBeLessThan(TIMEOUT_MS + 3000);
      expect(res.text).not.toContain('drip-canary');
      await expect.poll(upstream.closed).toBe(1);
    } finally {
      timers.forEach(clearInterval);
      await upstream.close();
    }
  });

  it('stops reading an endless body after the size cap and answers with the status', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const upstream = await startUpstream((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    try {
      const { admin, id } = await connectorTo(upstream.url);
      const started = performance.now();
      const res = await admin.post(`/api/v1/connectors/${id}/test`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number) });
      // Answered by the cap, not by the deadline.
      expect(performance.now() - started).toBeLessThan(TIMEOUT_MS);
      await expect.poll(upstream.closed).toBe(1);
      // 1 MiB read, plus what the socket buffers held when the call hung up.
      expect(upstream.written()).toBeLessThan(16 * 1024 * 1024);
    } finally {
      await upstream.close();
    }
  });
});

describe('connector targets in IPv6 forms that embed a blocked IPv4 address', () => {
  it.each([
    'http://[::169.254.169.254]',
    'http://[64:ff9b::169.254.169.254]',
    'http://[::ffff:0:169.254.169.254]',
    'http://[2002:a9fe:a9fe::]',
    'http://[::ffff:169.254.169.254]',
    'http://[64:ff9b::100.100.100.200]/',
  ])('refuses %s with 400 naming config.baseUrl', async (baseUrl) => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const res = await admin.post('/api/v1/connectors', {
      name: 'c',
      kind: 'http',
      config: { baseUrl },
      authSecret: 'any-secret',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('config.baseUrl');
  });
});
