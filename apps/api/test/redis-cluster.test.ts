import { Queue } from 'bullmq';
import { hashTagOf } from '@nembl/core';
import { startRedisClusterNode, type RedisClusterNode } from '@nembl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let node: RedisClusterNode;
let t: TestApi;
let admin: Redis;

beforeAll(async () => {
  node = await startRedisClusterNode();
  t = await startTestApi({ REDIS_URL: node.url }, { workerRedisUrl: node.url });
  if (t.redis.status !== 'ready') await new Promise((r) => t.redis.once('ready', r));
  admin = new Redis(node.url);
}, 60_000);
afterAll(async () => {
  admin?.disconnect();
  await t?.close();
  await node?.stop();
});

const allKeys = async (): Promise<string[]> => {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
};

describe('on Redis Cluster (one node that enforces the slot rules)', () => {
  it('refuses a queue whose keys are spread over slots, which is why the prefix is a hash tag', async () => {
    const untagged = new Queue('secret-operations', { connection: admin.duplicate(), prefix: 'nembl-untagged' });
    await expect(untagged.add('x', {})).rejects.toThrow(/CROSSSLOT|same slot/);
    await untagged.close();
    for (const k of await allKeys()) if (k.startsWith('nembl-untagged:')) await admin.del(k);
  });

  it('runs writes, logins, audit and schedules with every key under the one hash tag', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    expect((await c.post('/api/v1/secrets', { name: 'cluster-key', value: 'v1' })).status).toBe(201);
    expect((await c.put('/api/v1/secrets/cluster-key/value', { value: 'v2' })).status).toBe(200);
    expect((await c.delete('/api/v1/secrets/cluster-key?confirm=cluster-key')).status).toBe(200);
    expect((await new ApiClient(t.url).login(s.email, 'wrong password!!')).status).toBe(401);
    await expect.poll(async () => (await c.get('/api/v1/audit')).body.items?.length ?? 0).toBeGreaterThan(3);

    const keys = await allKeys();
    const tag = hashTagOf(t.queuePrefix);
    expect(tag).toBeDefined();
    expect(keys.filter((k) => hashTagOf(k) !== tag)).toEqual([]);
    const families = new Set(keys.map((k) => k.slice(t.queuePrefix.length + 1).split(':')[0]));
    for (const f of ['secret-operations', 'audit-events', 'outbox-relay', 'reminder-scan', 'rl'])
      expect(families).toContain(f);
    expect(t.worker!.logs.join('').match(/CROSSSLOT|same slot/g)).toBeNull();
  });
});
