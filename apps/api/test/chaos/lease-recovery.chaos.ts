import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, it } from 'vitest';
import { burst, expectInvariants, shape, startSystem, untilRunning, untilSettled, type System } from './system.js';

let sys: System | undefined;
afterEach(async () => {
  await sys?.close();
  sys = undefined;
});

describe('a worker killed while applying operations, then Redis losing its data', () => {
  it('hands the running operations to another worker once their lease expires; the writes queued behind them follow', async () => {
    sys = await startSystem({ apis: 1, workers: 1, leaseMs: 3000 });
    const load = await burst(sys, { prefix: 'leased', secrets: 4, updates: 0 });
    await expectInvariants(sys, load);

    // Store calls now hang for a while, so the worker is inside them when it dies.
    sys.aws.delayNext(1000, 5000);
    await burst(sys, { prefix: 'leased', secrets: 4, updates: 2, create: false, load });
    await untilRunning(sys, 4);
    await sys.workers[0]!.kill9();
    await sys.startWorker();
    // Before the new worker's stalled-job check can find the dead one's jobs, they are gone.
    await sys.redis.restartEmpty();
    sys.aws.reset();

    await expectInvariants(sys, load, 45_000);
  });
});

describe('workers killed and Redis lost at random points', () => {
  it('keeps every accepted write, exactly once and in order', async () => {
    sys = await startSystem({ leaseMs: 2000 });
    const s = sys;
    const rounds = Number(process.env.CHAOS_ROUNDS ?? 3);
    const load = await burst(s, { prefix: 'random', secrets: 5, updates: 0 });
    await untilSettled(s, load);
    const random = (max: number) => Math.floor(Math.random() * max);
    for (let round = 0; round < rounds; round++) {
      s.aws.delayNext(random(40), random(2000));
      const writing = burst(s, { prefix: 'random', secrets: 5, updates: 3, create: false, load });
      await delay(random(1500));
      const fault = random(3);
      const alive = s.workers.filter((w) => w.alive());
      if (fault === 0 || fault === 2) await alive[random(alive.length)]!.kill9();
      if (fault === 2) await delay(random(1000));
      if (fault === 1 || fault === 2) await s.redis.restartEmpty();
      // Back to full strength, as an orchestrator restarts a dead process.
      s.workers.splice(0, s.workers.length, ...s.workers.filter((w) => w.alive()));
      while (s.workers.length < shape().workers) await s.startWorker();
      await writing;
    }
    s.aws.reset();
    await expectInvariants(s, load, 60_000);
  });
});
