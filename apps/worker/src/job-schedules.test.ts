import { createLogger, createQueue, QueueName } from '@nembl/core';
import { uniqueQueuePrefix } from '@nembl/testkit';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { jobSchedulesFactory } from './job-schedules.js';

const connection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const queue = createQueue(QueueName.OutboxRelay, { connection, prefix: uniqueQueuePrefix() });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

describe('the worker’s job schedules', () => {
  it('puts back a scheduler Redis lost, and leaves one that exists alone', async () => {
    const schedules = jobSchedulesFactory({
      logger: createLogger({ level: 'silent', name: 'test' }),
      checkEveryMs: 60_000,
      schedules: [{ queue, id: 'outbox-relay', every: 5000, template: { name: QueueName.OutboxRelay, data: {} } }],
    });
    expect(await schedules.ensure()).toBe(1);
    expect(await queue.getJobScheduler('outbox-relay')).toMatchObject({ key: 'outbox-relay', every: 5000 });
    expect(await schedules.ensure()).toBe(0);

    // What a Redis restart without persistence does to it.
    await queue.removeJobScheduler('outbox-relay');
    expect(await queue.getJobScheduler('outbox-relay')).toBeUndefined();
    expect(await schedules.ensure()).toBe(1);
    expect(await queue.getJobScheduler('outbox-relay')).toMatchObject({ every: 5000 });
    expect(await queue.getJobSchedulersCount()).toBe(1);
  });
});
