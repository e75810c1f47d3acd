import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { burst, expectInvariants, shape, startSystem, untilRunning, untilSettled, type System } from './system.js';

/** How long the store stays unreachable (30 s in the full suite; shorter runs may lower it). */
const STORE_OUTAGE_MS = Number(process.env.CHAOS_STORE_OUTAGE_MS ?? 30_000);

let sys: System | undefined;
afterEach(async () => {
  await sys?.close();
  sys = undefined;
});

const readyz = async (url: string) => {
  try {
    return (await fetch(`${url}/readyz`)).status;
  } catch {
    return 0;
  }
};

describe('a worker killed with SIGKILL in the middle of a burst', () => {
  it('loses nothing: its operations are taken over after their lease, once each', async () => {
    sys = await startSystem();
    const s = sys;
    s.aws.delayNext(30, 800);
    let killed = false;
    const load = await burst(s, {
      prefix: 'burst',
      secrets: 6,
      updates: 3,
      onProgress: (n) => {
        if (n === 10 && !killed) {
          killed = true;
          void s.workers[0]!.kill9().then(() => s.startWorker());
        }
      },
    });
    expect(killed).toBe(true);
    await expectInvariants(s, load);
  });
});

describe('Redis restarted with its data lost', () => {
  it('while operations are queued: the relay re-enqueues them from Postgres', async () => {
    sys = await startSystem();
    await Promise.all(sys.workers.map((w) => w.terminate()));
    const load = await burst(sys, { prefix: 'queued', secrets: 5, updates: 0 });
    await sys.redis.restartEmpty();
    for (let i = 0; i < shape().workers; i++) await sys.startWorker();
    await expectInvariants(sys, load);
  });

  it('while operations are running: they finish, and the ones behind them follow', async () => {
    sys = await startSystem();
    const load = await burst(sys, { prefix: 'running', secrets: 4, updates: 0 });
    await untilSettled(sys, load);
    sys.aws.delayNext(8, 2500);
    await burst(sys, { prefix: 'running', secrets: 4, updates: 1, create: false, load });
    await untilRunning(sys, 4);
    await sys.redis.restartEmpty();
    await expectInvariants(sys, load);
  });

  it('while some run and others are queued behind them', async () => {
    sys = await startSystem();
    const load = await burst(sys, { prefix: 'both', secrets: 4, updates: 0 });
    await untilSettled(sys, load);
    sys.aws.delayNext(8, 2500);
    await burst(sys, { prefix: 'both', secrets: 4, updates: 3, create: false, load });
    await untilRunning(sys, 4);
    await sys.redis.restartEmpty();
    await expectInvariants(sys, load);
  });
});

describe('the store unreachable mid-load', () => {
  it(`retries through a ${STORE_OUTAGE_MS / 1000} s outage and lands every write once it is back`, async () => {
    sys = await startSystem();
    const load = await burst(sys, { prefix: 'outage', secrets: 4, updates: 0 });
    await untilSettled(sys, load);
    sys.storeLink.pause();
    await burst(sys, { prefix: 'outage', secrets: 4, updates: 2, create: false, load });
    await expect.poll(() => readyz(sys!.apis[0]!.url!), { timeout: 10_000 }).toBe(503);
    await delay(STORE_OUTAGE_MS);
    sys.storeLink.resume();
    await expectInvariants(sys, load, 120_000);
  });

  it('and a worker killed during the outage: another one finishes its operations', async () => {
    sys = await startSystem();
    const load = await burst(sys, { prefix: 'outage-kill', secrets: 4, updates: 0 });
    await untilSettled(sys, load);
    sys.storeLink.pause();
    await burst(sys, { prefix: 'outage-kill', secrets: 4, updates: 2, create: false, load });
    await untilRunning(sys, 1);
    await sys.workers[0]!.kill9();
    await sys.startWorker();
    await delay(Math.min(STORE_OUTAGE_MS, 10_000));
    sys.storeLink.resume();
    await expectInvariants(sys, load, 120_000);
  });
});

describe('Postgres unreachable', () => {
  it('answers 503 with Retry-After, writes nothing half-way, and recovers without a restart', async () => {
    sys = await startSystem();
    const s = sys;
    const load = await burst(s, { prefix: 'pg', secrets: 4, updates: 0 });
    await untilSettled(s, load);
    s.pgLink.pause();
    await expect.poll(() => readyz(s.apis[0]!.url!), { timeout: 10_000 }).toBe(503);
    const refused = await s.client(0).post('/api/v1/secrets', { name: 'pg-refused', value: 'pg-refused-canary-value' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    const update = await s.client(0).put('/api/v1/secrets/pg-0/value', { value: 'pg-update-canary-value' });
    expect(update.status).toBe(503);
    // Writes keep coming while it is down; each is refused whole or accepted whole.
    const writing = burst(s, { prefix: 'pg', secrets: 4, updates: 2, create: false, allow: [503], load });
    await delay(3000);
    s.pgLink.resume();
    await writing;
    expect(load.refused.length).toBeGreaterThan(0);
    await expect.poll(() => readyz(s.apis[0]!.url!), { timeout: 15_000 }).toBe(200);
    // The refused create left nothing behind: the name is free.
    expect((await s.client(0).get('/api/v1/secrets/pg-refused')).status).toBe(404);
    await expectInvariants(s, load);
    expect(s.all.every((p) => p.alive())).toBe(true);
  });
});

describe('the store throttling a share of the writes', () => {
  it('retries the throttled ones until every write lands, once', async () => {
    sys = await startSystem();
    sys.aws.throttleWrites(0.3);
    const load = await burst(sys, { prefix: 'throttled', secrets: 6, updates: 3 });
    await expectInvariants(sys, load);
    expect(sys.aws.throttled()).toBeGreaterThan(0);
  });
});

describe('SIGTERM', () => {
  it('to the API under load: requests in flight finish, /readyz answers 503 while it drains, then it exits cleanly', async () => {
    sys = await startSystem({ env: { NEMBL_WRITE_WAIT_MS: '3000', NEMBL_SHUTDOWN_DRAIN_MS: '1500' } });
    const s = sys;
    const api = s.apis[0]!;
    s.aws.delayNext(10, 1500);
    const load = { accepted: [], refused: [] };
    const writing = burst(s, { prefix: 'drain', secrets: 6, updates: 0, load });
    await expect
      .poll(async () => (await s.query<{ n: number }>(`SELECT count(*)::int AS n FROM operations`))[0]!.n)
      .toBeGreaterThan(0);
    const stopped = api.terminate();
    await expect.poll(() => readyz(api.url!), { timeout: 1500, interval: 100 }).toBe(503);
    await writing; // every request got its answer (a dropped one would throw)
    expect(await stopped).toEqual({ code: 0, signal: null });
    await expectInvariants(s, load);
  });

  it('to a worker with operations in flight: it finishes them before it exits; nothing is lost', async () => {
    sys = await startSystem({ workers: 1 });
    const s = sys;
    const load = await burst(s, { prefix: 'term', secrets: 4, updates: 0 });
    await untilSettled(s, load);
    s.aws.delayNext(4, 2000);
    await burst(s, { prefix: 'term', secrets: 4, updates: 2, create: false, load });
    await untilRunning(s, 4);
    expect(await s.workers[0]!.terminate()).toEqual({ code: 0, signal: null });
    const finished = await s.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM operations WHERE status = 'succeeded'`,
    );
    expect(finished[0]!.n).toBeGreaterThanOrEqual(8);
    await s.startWorker();
    await expectInvariants(s, load);
  });
});

describe('two workers, one killed', () => {
  it('the survivor takes over the dead one’s operations without a restart', async () => {
    sys = await startSystem({ workers: Math.max(2, shape().workers) });
    const s = sys;
    const load = await burst(s, { prefix: 'pair', secrets: 6, updates: 0 });
    await untilSettled(s, load);
    s.aws.delayNext(12, 2000);
    await burst(s, { prefix: 'pair', secrets: 6, updates: 2, create: false, load });
    await untilRunning(s, 2);
    await s.workers[0]!.kill9();
    await expectInvariants(s, load);
  });
});
