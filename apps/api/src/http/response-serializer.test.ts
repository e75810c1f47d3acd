import { Writable } from 'node:stream';
import { createLogger } from '@nembl/core';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Op } from '../openapi/api-operations.js';
import { responseSerializer, responseSerializerFor } from './response-serializer.js';

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
