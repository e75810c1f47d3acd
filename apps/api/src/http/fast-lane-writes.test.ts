import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotFoundError, type Principal } from '@nembl/core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastLane } from './fast-lane.js';
import type { HotRoute } from './hot-route.js';

const principal: Principal = { type: 'token', id: 't1', companyId: 'c1', roles: ['Admin'], groups: [], label: 'bot' };
const events: string[] = [];
let release: () => void = () => undefined;
/** Whether the serializer accepts the next answers (false: the answer does not fit its schema). */
let serializable = true;

const route = (path: string, extra: Partial<HotRoute> = {}): HotRoute => ({
  method: 'POST',
  path,
  handle: async ({ params }) => {
    if (params.name === 'missing') throw new NotFoundError('No such thing');
    return { ok: true };
  },
  ...extra,
});

let server: Server;
let base: string;
beforeAll(async () => {
  const lane = fastLane({
    routes: [route('/things/:name'), route('/things/:name/read', { readOnly: true })],
    auth: { principalFromToken: async () => principal, principalFromSession: async () => null },
    limiter: { consume: async () => 0 },
    serialize: {
      text: (_m, _r, _s, body) => {
        events.push('serialized');
        return serializable
          ? { ok: true, text: JSON.stringify(body) }
          : { ok: false, declared: true, issues: [{ path: ['ok'], code: 'invalid_type' }] };
      },
    },
    securityHeaders: [],
    metrics: { record: () => undefined },
    logger: pino({ level: 'silent' }),
    trustProxy: () => false,
    malformedUri: () => undefined,
    announceMetadata: async (companyId) => {
      events.push(`announce ${companyId}`);
      await new Promise<void>((r) => (release = r));
      events.push('announced');
    },
  });
  server = createServer((req, res) => {
    if (!lane(req, res)) res.writeHead(418).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const post = (path: string) =>
  fetch(`${base}/api/v1${path}`, { method: 'POST', headers: { authorization: 'Bearer nmbl_x' } }).then((r) => {
    events.push(`answered ${r.status}`);
    return r.status;
  });

/**
 * Posts a write while the barrier is held: answers the events seen before the barrier is released
 * and the status the write then answered.
 */
const heldWrite = async (path: string) => {
  events.length = 0;
  const answered = post(path);
  await new Promise((r) => setTimeout(r, 50));
  const whileHeld = [...events];
  release();
  return { whileHeld, status: await answered };
};

describe('fast lane writes', () => {
  it('answers a write only after the metadata barrier, and a refusal or a read-only POST without it', async () => {
    const { whileHeld, status } = await heldWrite('/things/a');
    // The barrier started first; the answer was serialized meanwhile but waits for it.
    expect(whileHeld).toEqual(['announce c1', 'serialized']);
    expect(status).toBe(200);
    expect(events).toEqual(['announce c1', 'serialized', 'announced', 'answered 200']);

    events.length = 0;
    expect(await post('/things/missing')).toBe(404);
    expect(await post('/things/a/read')).toBe(200);
    expect(events).toEqual(['answered 404', 'serialized', 'answered 200']);
  });

  it('answers a write whose answer cannot be serialized with a 500, also only after the barrier', async () => {
    serializable = false;
    try {
      const { whileHeld, status } = await heldWrite('/things/b');
      expect(whileHeld).toEqual(['announce c1', 'serialized']);
      expect(status).toBe(500);
      expect(events).toEqual(['announce c1', 'serialized', 'announced', 'answered 500']);
    } finally {
      serializable = true;
    }
  });
});
