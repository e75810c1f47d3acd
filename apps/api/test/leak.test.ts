import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type ApiResponse } from './harness.js';

/** Every value of every key under `prefix`, read by type (DUMP would compress long strings). */
const dumpRedis = async (prefix: string): Promise<string> => {
  const redis = new Redis('redis://127.0.0.1:6379');
  const out: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        out.push(key);
        const type = await redis.type(key);
        if (type === 'string') out.push((await redis.get(key)) ?? '');
        else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
        else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
        else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, 0, -1, 'WITHSCORES')));
        else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
      }
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return out.join('\n');
};

describe('leak check', () => {
  it('keeps a canary value out of responses, logs, Redis and Postgres once its operations finish', async () => {
    const canary = `canary-${randomBytes(12).toString('hex')}`;
    const rotated = `canary-rotated-${randomBytes(12).toString('hex')}`;
    const t = await startTestApi();
    const responses: ApiResponse[] = [];
    try {
      const c = new ApiClient(t.url);
      await c.signup();
      const keep = async (p: Promise<ApiResponse>) => {
        const r = await p;
        responses.push(r);
        return r;
      };
      const created = await keep(c.post('/api/v1/secrets', { name: 'leak-check', value: canary, tags: { env: 'test' } }));
      expect(created.status).toBe(201);
      expect((await keep(c.put('/api/v1/secrets/leak-check/value', { value: rotated }))).status).toBe(200);
      await keep(c.get('/api/v1/secrets/leak-check'));
      await keep(c.get('/api/v1/secrets'));
      await keep(c.get(`/api/v1/operations/${created.body.operation.id}`));
      // Bad requests carrying the value must not echo it either.
      await keep(c.post('/api/v1/secrets', { name: 'Bad Name', value: canary }));
      await keep(c.post('/api/v1/secrets', { name: 'leak-check', value: canary }));
      await keep(c.put('/api/v1/secrets/leak-check/value', { value: canary, extra: 1 }));

      // The store really has the value: the check below is not vacuous.
      const companyId = created.body.secret.path.split('/')[1];
      expect((await t.worker!.composed.store.getValue({ companyId, name: 'leak-check' })).value).toBe(rotated);

      const needles = [canary, rotated].flatMap((v) => [v, Buffer.from(v).toString('hex'), Buffer.from(v).toString('base64')]);
      const haystacks: Record<string, string> = {
        responses: responses.map((r) => `${JSON.stringify([...r.headers])}\n${r.text}`).join('\n'),
        apiLogs: t.logs.join(''),
        workerLogs: t.worker!.logs.join(''),
        redis: await dumpRedis(t.queuePrefix),
        postgres: execFileSync('pg_dump', ['--data-only', '--inserts', t.dbUrl], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8'),
      };
      expect(haystacks.redis).toContain('secret-operations'); // jobs were there to inspect
      expect(haystacks.postgres).toContain('leak-check');
      for (const [where, text] of Object.entries(haystacks)) {
        for (const needle of needles) expect(text.includes(needle), `${where} contains the value`).toBe(false);
      }
    } finally {
      await t.close();
    }
  });
});
