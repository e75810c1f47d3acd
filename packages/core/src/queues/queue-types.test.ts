import { randomUUID } from 'node:crypto';
import { uniqueQueuePrefix } from '@nembl/testkit';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, enqueueBulk, OPERATION_JOB_OPTIONS, QueueName, type TypedQueue } from './queue-types.js';
import { redisConnection } from './redis-connection.js';

let connection: Redis;
let queue: TypedQueue<typeof QueueName.SecretOperations>;

beforeAll(() => {
  connection = redisConnection('redis://127.0.0.1:6379', 'api');
  queue = createQueue(QueueName.SecretOperations, { connection, prefix: uniqueQueuePrefix() });
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  connection?.disconnect();
});

const job = (operationId: string) => ({
  data: { operationId },
  opts: { jobId: operationId, ...OPERATION_JOB_OPTIONS },
});

describe('enqueueBulk', () => {
  it('adds one job (a plain add) or several (one round trip) under their ids, each once', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const one = await enqueueBulk(queue, [job(a)]);
    expect(one.map((j) => j.id)).toEqual([a]);
    const several = await enqueueBulk(queue, [job(b), job(c)]);
    expect(several.map((j) => j.id)).toEqual([b, c]);
    // The same id again, alone or in a batch: still one job each (a retried enqueue is harmless).
    await enqueueBulk(queue, [job(a)]);
    await enqueueBulk(queue, [job(a), job(b)]);
    const waiting = await queue.getJobs(['waiting']);
    expect(waiting.map((j) => j.id).sort()).toEqual([a, b, c].sort());
    for (const id of [a, b, c]) {
      const stored = await queue.getJob(id);
      expect(stored?.data).toEqual({ operationId: id });
      expect(stored?.name).toBe(QueueName.SecretOperations);
      expect(stored?.opts.attempts).toBe(OPERATION_JOB_OPTIONS.attempts);
    }
  });
});
