import { Writable } from 'node:stream';
import { createLogger } from '@nembl/core';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Op } from '../openapi/api-operations.js';
import { reusableBody } from './hot-route.js';
import { responseSerializer, responseSerializerFor } from './response-serializer.js';
import { pageOf } from './response-schemas.js';

const op = (success: Op['success']): Op => ({
  operationId: 'x',
  summary: 'x',
  tag: 'X',
  access: 'read',
  success,
  errors: [],
});

const app = (send: (res: express.Response) => void) => {
  const logs: string[] = [];
  const logger = createLogger({
    level: 'info',
    name: 'serializer-test',
    destination: new Writable({
      write: (chunk: Buffer, _e, cb) => {
        logs.push(chunk.toString());
        cb();
      },
    }),
  });
  const a = express();
  a.use(
    responseSerializer(
      responseSerializerFor({
        '/things/{id}': {
          get: op({ 200: { description: 'ok', schema: z.object({ id: z.string(), count: z.int() }) } }),
        },
      }),
      logger,
    ),
  );
  a.get('/things/:id', (_req, res) => send(res));
  a.get('/undeclared', (_req, res) => send(res));
  return { app: a, logs };
};

describe('the response serializer', () => {
  it('drops fields the schema does not declare', async () => {
    const { app: a } = app((res) => res.json({ id: 'a', count: 2, passwordHash: 'canary-hash' }));
    const res = await request(a).get('/things/a');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'a', count: 2 });
    expect(res.text).not.toContain('canary-hash');
  });

  it('answers 500 and logs the route, not the value, when a body does not fit its schema', async () => {
    const { app: a, logs } = app((res) => res.json({ id: 'a', count: 'canary-not-a-number' }));
    const res = await request(a).get('/things/a');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ type: '/problems/internal', status: 500 });
    expect(res.text).not.toContain('canary');
    expect(logs.join('')).toContain('GET /things/:id');
    expect(logs.join('')).not.toContain('canary');
  });

  it('answers 500 for a status or route with no declared schema; errors pass through', async () => {
    expect((await request(app((res) => res.status(201).json({ id: 'a', count: 1 })).app).get('/things/a')).status).toBe(
      500,
    );
    expect((await request(app((res) => res.json({ anything: true })).app).get('/undeclared')).status).toBe(500);
    const problem = await request(app((res) => res.status(404).json({ title: 'Not found', extra: 'kept' })).app).get(
      '/things/a',
    );
    expect(problem.status).toBe(404);
    expect(problem.body).toEqual({ title: 'Not found', extra: 'kept' });
  });
});

describe('response texts (the fast lane’s)', () => {
  const item = z.object({ id: z.string(), tags: z.record(z.string(), z.string()), n: z.int() });
  const serialize = responseSerializerFor({
    '/things': { get: op({ 200: { description: 'ok', schema: pageOf(item, 'ThingPage') } }) },
    '/things/{id}': { get: op({ 200: { description: 'ok', schema: item } }) },
  });
  const stringified = (route: string, body: unknown) => {
    const r = serialize('GET', route, 200, body);
    if (!r.ok) throw new Error('misfit');
    return JSON.stringify(r.data);
  };

  it('are the bytes JSON.stringify makes of the serialized body, for pages of reused and fresh items', () => {
    const reused = reusableBody({ id: 'a', tags: { z: '1', a: '"quoted"\u2028' }, n: 1, secretField: 'canary' });
    const fresh = { n: 2, id: 'b', tags: {} };
    for (const page of [
      { items: [reused, fresh, reused], nextCursor: 'abc', extra: 'dropped' },
      { items: [], nextCursor: null },
      reusableBody({ items: [fresh, reused], nextCursor: null }),
    ]) {
      for (let i = 0; i < 2; i++) {
        const r = serialize.text('GET', '/things', 200, page);
        expect(r.ok && String(r.text)).toBe(stringified('/things', page));
      }
    }
    // A page of reusable items only, sent again: the same bytes, kept encoded; other items or another cursor, fresh ones.
    const [x, y] = [reusableBody({ id: 'x', tags: {}, n: 1 }), reusableBody({ id: 'y', tags: { k: 'é' }, n: 2 })];
    for (const page of [
      { items: [x, y], nextCursor: 'c1' },
      { items: [x, y], nextCursor: 'c1' },
      { items: [x, y], nextCursor: 'c2' },
      { items: [x], nextCursor: 'c2' },
      { items: [x, y, { id: 'z', tags: {}, n: 3 }], nextCursor: 'c2' },
      { items: [x, y], nextCursor: null },
    ]) {
      const r = serialize.text('GET', '/things', 200, page);
      expect(r.ok && String(r.text)).toBe(stringified('/things', page));
    }
    const again = [0, 1].map(() => serialize.text('GET', '/things', 200, { items: [x, y], nextCursor: null }));
    expect(again[0]!.ok && again[1]!.ok && again[0]!.text === again[1]!.text).toBe(true);
    const one = reusableBody({ id: 'c', tags: {}, n: 3 });
    expect(serialize.text('GET', '/things/:id', 200, one)).toEqual({ ok: true, text: stringified('/things/:id', one) });
    expect(JSON.stringify(serialize.text('GET', '/things', 200, { items: [reused], nextCursor: null }))).not.toContain(
      'canary',
    );
  });

  it('serializes a reusable item once, and refuses a page with an item that does not fit, naming where', () => {
    const reused = reusableBody({ id: 'a', tags: {}, n: 1 });
    const first = serialize.text('GET', '/things', 200, { items: [reused], nextCursor: null });
    // Changing a reusable item breaks its contract: the text it was given first stays (it was serialized once).
    (reused as { n: number }).n = 99;
    expect(serialize.text('GET', '/things', 200, { items: [reused, reused], nextCursor: null })).toMatchObject({
      ok: true,
      text: Buffer.from(
        `{"items":[${'{"id":"a","tags":{},"n":1}'},${'{"id":"a","tags":{},"n":1}'}],"nextCursor":null}`,
      ),
    });
    expect(first.ok && String(first.text)).toBe('{"items":[{"id":"a","tags":{},"n":1}],"nextCursor":null}');
    expect(
      serialize.text('GET', '/things', 200, {
        items: [
          { id: 'b', tags: {}, n: 1 },
          { id: 'c', n: 'x' },
        ],
        nextCursor: null,
      }),
    ).toEqual({
      ok: false,
      declared: true,
      issues: expect.arrayContaining([{ path: ['items', 1, 'n'], code: 'invalid_type' }]),
    });
    expect(serialize.text('GET', '/things', 200, { items: [], nextCursor: 5 })).toMatchObject({
      ok: false,
      declared: true,
    });
    expect(serialize.text('GET', '/things', 201, { items: [], nextCursor: null })).toEqual({
      ok: false,
      declared: false,
    });
  });
});
