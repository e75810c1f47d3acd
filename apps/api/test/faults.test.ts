import { createDataSource, createSecretStore } from '@nembl/core';
import { startTcpProxy } from '@nembl/testkit';
import { describe, expect, it } from 'vitest';
import { ApiClient, startTestApi } from './harness.js';
import { faultyStore } from './store-faults.js';

const waitFor = async <T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
};

const finished = (c: ApiClient, id: string) =>
  waitFor(async () => {
    const op = await c.get(`/api/v1/operations/${id}`);
    return op.body.status === 'succeeded' || op.body.status === 'failed' ? op.body : undefined;
  });

describe('Redis unreachable during a create', () => {
  it('answers at once with 202, keeps the operation queued, and completes it via the outbox once Redis is back', async () => {
    const proxy = await startTcpProxy('127.0.0.1', 6379);
    const t = await startTestApi({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, { workerRedisUrl: 'redis://127.0.0.1:6379' });
    try {
      // The worker is up, but its relay must not find the operation before we look at it.
      await t.worker!.stop();
      const c = new ApiClient(t.url);
      await c.signup();
      proxy.pause();
      const started = Date.now();
      const res = await c.post('/api/v1/secrets', { name: 'while-redis-down', value: 'survives' });
      const elapsed = Date.now() - started;
      expect(res.status).toBe(202);
      expect(elapsed).toBeLessThan(3000);
      expect(res.body.operation.status).toBe('queued');
      expect((await fetch(`${t.url}/readyz`)).status).toBe(503);

      proxy.resume();
      await t.startWorker();
      const op = await finished(c, res.body.operation.id);
      expect(op.status).toBe('succeeded');
      const detail = await c.get('/api/v1/secrets/while-redis-down');
      expect(detail.body.secret).toMatchObject({ status: 'active', version: 1 });
    } finally {
      await t.close();
      await proxy.close();
    }
  });
});

describe('the store refuses or fails', () => {
  it('ends a permanently refused create as failed with a value-free reason; the name can be created again', async () => {
    let faulty!: ReturnType<typeof faultyStore>;
    const db = await startTestApi({ NEMBL_WRITE_WAIT_MS: '5000' }, { wrapStore: (store) => (faulty = faultyStore(store)).store });
    try {
      const c = new ApiClient(db.url);
      await c.signup();
      faulty.refuseWrites('AccessDenied');
      const res = await c.post('/api/v1/secrets', { name: 'refused', value: 'refused-canary-value' });
      expect(res.status).toBe(202);
      const op = await finished(c, res.body.operation.id);
      expect(op).toMatchObject({ status: 'failed', error: { code: 'AccessDenied', message: expect.any(String) } });
      expect(JSON.stringify(op)).not.toContain('refused-canary-value');
      const detail = await c.get('/api/v1/secrets/refused');
      expect(detail.body.secret).toMatchObject({ status: 'failed', version: 0 });
      expect(detail.body.versions).toEqual([]);
      expect((await c.put('/api/v1/secrets/refused/value', { value: 'x' })).status).toBe(409);
      const payloads = await db.dataSource.query(`SELECT count(*)::int AS n FROM operations WHERE sealed_payload IS NOT NULL`);
      expect(payloads[0].n).toBe(0);

      faulty.heal();
      const again = await c.post('/api/v1/secrets', { name: 'refused', value: 'now accepted' });
      expect(again.status).toBe(201);
      expect(again.body.secret).toMatchObject({ status: 'active', version: 1 });
    } finally {
      await db.close();
    }
  });

  it('lets a failed secret be deleted', async () => {
    let faulty!: ReturnType<typeof faultyStore>;
    const db = await startTestApi({}, { wrapStore: (store) => (faulty = faultyStore(store)).store });
    try {
      const c = new ApiClient(db.url);
      await c.signup();
      faulty.refuseWrites('Invalid');
      const res = await c.post('/api/v1/secrets', { name: 'doomed', value: 'x' });
      await finished(c, res.body.operation.id);
      faulty.heal();
      const del = await c.delete('/api/v1/secrets/doomed?confirm=doomed');
      expect(del.status).toBe(200);
      expect((await c.get('/api/v1/secrets/doomed')).status).toBe(404);
    } finally {
      await db.close();
    }
  });
});

describe('a worker killed mid-operation', () => {
  it('completes the operation exactly once after another worker takes over, with one store version', async () => {
    const t = await startTestApi({ NEMBL_WRITE_WAIT_MS: '0' }, { worker: false });
    const ds = createDataSource({ url: t.dbUrl, poolSize: 2 });
    await ds.initialize();
    const real = createSecretStore({ driver: 'local', dataSource: ds, masterKey: t.masterKey });
    const faulty = faultyStore(real);
    try {
      const doomed = await t.startWorker({ store: faulty.store });
      const c = new ApiClient(t.url);
      const s = await c.signup();
      const hold = faulty.holdNextWrite();
      const res = await c.post('/api/v1/secrets', { name: 'crashy', value: 'crash-canary' });
      expect(res.status).toBe(202);
      await hold.entered; // worker A is inside the store call
      await doomed.kill();

      await t.startWorker({ store: real });
      const op = await finished(c, res.body.operation.id);
      expect(op.status).toBe('succeeded');

      // The abandoned call wakes up late and writes with the same client token: still one version.
      hold.release();
      await new Promise((r) => setTimeout(r, 300));
      const versions = await ds.query(`SELECT count(*)::int AS n FROM local_store_versions WHERE company_id = $1 AND name = 'crashy'`, [s.company.id]);
      expect(versions[0].n).toBe(1);
      const detail = await c.get('/api/v1/secrets/crashy');
      expect(detail.body.secret.version).toBe(1);
      expect(detail.body.versions).toHaveLength(1);
      // Audited once, whether the event still waits in the outbox or is already in the log.
      const applied = await ds.query(
        `SELECT (SELECT count(*)::int FROM audit_outbox WHERE event->>'action' = 'secrets:create_succeeded' AND event->>'operationId' = $1)
              + (SELECT count(*)::int FROM audit_events WHERE action = 'secrets:create_succeeded' AND operation_id = $1::uuid) AS n`,
        [res.body.operation.id],
      );
      expect(applied[0].n).toBe(1);
      expect((await real.getValue({ companyId: s.company.id, name: 'crashy' })).value).toBe('crash-canary');
    } finally {
      await t.close();
      await ds.destroy();
    }
  });
});

describe('a worker shutting down gracefully (SIGTERM)', () => {
  it('finishes the operation in flight before it stops', async () => {
    let faulty!: ReturnType<typeof faultyStore>;
    const t = await startTestApi({ NEMBL_WRITE_WAIT_MS: '0' }, { worker: false, wrapStore: (store) => (faulty = faultyStore(store)).store });
    try {
      const w = await t.startWorker();
      const c = new ApiClient(t.url);
      await c.signup();
      const hold = faulty.holdNextWrite();
      const res = await c.post('/api/v1/secrets', { name: 'in-flight-at-shutdown', value: 'x' });
      await hold.entered;
      let stopped = false;
      const stopping = w.stop().then(() => (stopped = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(stopped).toBe(false); // waits for the job in flight
      hold.release();
      await stopping;
      const op = (await c.get(`/api/v1/operations/${res.body.operation.id}`)).body;
      expect(op.status).toBe('succeeded');
    } finally {
      await t.close();
    }
  });
});
