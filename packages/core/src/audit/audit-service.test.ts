import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DataSource } from 'typeorm';
import type { QueueName, TypedQueue } from '../queues/queue-types.js';
import { createTestDatabase } from '@nembl/testkit';
import { createDataSource } from '../db/data-source.js';
import { secretRowStamp, type AuditPrecondition } from './audit-outbox-repository.js';
import { auditServiceFactory, DURABLE_WAKE_EVERY_MS } from './audit-service.js';
import type { AuditEventInput, AuditEventPayload } from './audit-types.js';
import { unpackAuditEvents } from './outbox-rows.js';

/** Every event in the outbox, in row order (a durable write packs its events into one row). */
const outboxEvents = async (ds: DataSource): Promise<AuditEventPayload[]> =>
  ((await ds.query(`SELECT event FROM audit_outbox ORDER BY id`)) as Array<{ event: unknown }>).flatMap(
    (r) => unpackAuditEvents(r.event) as AuditEventPayload[],
  );
const outboxNames = async (ds: DataSource): Promise<Array<string | null>> => (await outboxEvents(ds)).map((e) => e.resource.name);

/** A queue and a database that only remember what they were given. */
const fakes = (opts: { queueDown?: boolean; queueHangs?: boolean } = {}) => {
  const queued: Array<{ data: { kind: string; event?: AuditEventPayload }; jobId: string }> = [];
  const outbox: AuditEventPayload[] = [];
  const queue = {
    name: 'audit-events',
    add: async (_name: string, data: { kind: string; event?: AuditEventPayload }, o: { jobId: string }) => {
      if (opts.queueDown) throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
      if (opts.queueHangs) return new Promise(() => undefined);
      queued.push({ data, jobId: o.jobId });
      return {};
    },
  } as unknown as TypedQueue<typeof QueueName.Audit>;
  const manager = {
    query: async (sql: string, params: unknown[]) => {
      expect(sql).toContain('INSERT INTO audit_outbox');
      outbox.push(JSON.parse(params[2] as string) as AuditEventPayload);
      return [];
    },
  };
  const dataSource = { manager } as unknown as DataSource;
  return { queue, dataSource, manager, queued, outbox };
};

const companyId = '00000000-0000-4000-8000-000000000001';
const denial = (over: Partial<AuditEventInput> = {}): AuditEventInput => ({
  companyId,
  actor: { type: 'user', id: '00000000-0000-4000-8000-000000000002', label: 'dev@example.com' },
  action: 'users:read',
  resource: { kind: 'user', name: null },
  decision: 'deny',
  reason: 'implicit_deny',
  context: { requestId: 'req-1', ip: '127.0.0.1', userAgent: 'vitest' },
  at: new Date('2024-01-01T00:00:00.000Z'),
  ...over,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('auditServiceFactory', () => {
  it('queues an event recorded outside a transaction, with its idempotency key as job id', async () => {
    const f = fakes();
    const audit = auditServiceFactory({ dataSource: f.dataSource, queue: f.queue });
    await audit.record(denial({ decision: 'allow', reason: 'password', action: 'auth:login' }));
    expect(f.outbox).toHaveLength(0);
    expect(f.queued).toHaveLength(1);
    const job = f.queued[0]!;
    expect(job.data.kind).toBe('event');
    expect(job.jobId).toBe(job.data.event!.idempotencyKey);
    expect(job.data.event).toMatchObject({ action: 'auth:login', count: 1, at: '2024-01-01T00:00:00.000Z', requestId: 'req-1' });
  });

  it('writes an event recorded inside a transaction to the outbox through that transaction', async () => {
    const f = fakes();
    const audit = auditServiceFactory({ dataSource: f.dataSource, queue: f.queue });
    const em = { query: vi.fn(async () => []) };
    await audit.record(denial({ decision: 'allow' }), em as never);
    expect(em.query).toHaveBeenCalledOnce();
    expect((em.query.mock.calls[0] as unknown as [string])[0]).toMatch(/INSERT INTO audit_outbox[\s\S]*pg_notify/);
    expect(f.queued).toHaveLength(0);
  });

  it('falls back to the outbox at once when Redis refuses, and within the timeout when it hangs', async () => {
    const down = fakes({ queueDown: true });
    await auditServiceFactory({ dataSource: down.dataSource, queue: down.queue }).record(denial({ decision: 'allow' }));
    expect(down.outbox).toHaveLength(1);

    const hung = fakes({ queueHangs: true });
    const started = Date.now();
    await auditServiceFactory({ dataSource: hung.dataSource, queue: hung.queue, enqueueTimeoutMs: 100 }).record(denial({ decision: 'allow' }));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(hung.outbox).toHaveLength(1);
  });

  it('writes durable events to the outbox even when a queue is there, all in one statement', async () => {
    const db = await createTestDatabase();
    const ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    try {
      const [company] = await ds.query(`INSERT INTO companies (name) VALUES ('Acme') RETURNING id`);
      const f = fakes();
      const audit = auditServiceFactory({ dataSource: ds, queue: f.queue });
      const read = (name: string) =>
        denial({ companyId: company.id, action: 'secrets:read_value', decision: 'allow', resource: { kind: 'secret', name } });
      await audit.recordDurable([read('a'), read('b')]);
      expect(f.queued).toHaveLength(0);
      expect(await outboxNames(ds)).toEqual(['a', 'b']);
      // One row for the call's events.
      expect(await ds.query(`SELECT count(*)::int AS n FROM audit_outbox`)).toEqual([{ n: 1 }]);
      // One bad event fails the whole write: the caller then refuses the values.
      const dead = { ...read('d'), companyId: '00000000-0000-4000-8000-00000000dead' };
      await expect(audit.recordDurable([read('c'), dead])).rejects.toThrow();
      expect(await outboxNames(ds)).toEqual(['a', 'b']);
      // Sharing a write with another call's bad event (a foreign key violation) refuses only that call.
      const results = await Promise.all(
        [[read('e')], [read('f')], [read('g')], [read('h'), dead], [read('i')]].map((events) =>
          audit.recordDurable(events).then(
            () => 'stored',
            () => 'refused',
          ),
        ),
      );
      expect(results).toEqual(['stored', 'stored', 'stored', 'refused', 'stored']);
      expect((await outboxNames(ds)).sort()).toEqual(['a', 'b', 'e', 'f', 'g', 'i']);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('writes the events of a call with a precondition only while it holds, checked in the statement it shares', async () => {
    const db = await createTestDatabase();
    const ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    try {
      const [company] = await ds.query(`INSERT INTO companies (name) VALUES ('Acme') RETURNING id`);
      const [secret] = await ds.query(
        `INSERT INTO secrets (company_id, name, type, status, version, created_by_type, created_by_label)
         VALUES ($1, 'db-password', 'password', 'active', 1, 'system', 'test') RETURNING id`,
        [company.id],
      );
      const [workflow] = await ds.query(`INSERT INTO workflows (company_id, name, phases) VALUES ($1, 'w', '[]') RETURNING id`, [
        company.id,
      ]);
      const [run] = await ds.query(
        `INSERT INTO runs (company_id, workflow_id, phases, expires_at, actor) VALUES ($1, $2, '[]', now() + interval '1 day', '{}')
         RETURNING id`,
        [company.id, workflow.id],
      );
      const stamp = async (): Promise<string> =>
        (await ds.query(`SELECT ${secretRowStamp('s')} AS stamp FROM secrets s WHERE id = $1`, [secret.id]))[0].stamp;
      const asRead = async (): Promise<AuditPrecondition> => ({
        companyId: company.id,
        runId: run.id,
        secrets: [{ id: secret.id, stamp: await stamp() }],
      });
      const audit = auditServiceFactory({ dataSource: ds });
      const read = (name: string) =>
        denial({ companyId: company.id, action: 'secrets:read_value', decision: 'allow', resource: { kind: 'secret', name } });
      const stale = await asRead();
      expect(await audit.recordDurable([read('a')], stale)).toBe(true);
      // Any update of the secret's row (here its tags) makes what was read stale.
      await ds.query(`UPDATE secrets SET tags = '{"frozen": "yes"}' WHERE id = $1`, [secret.id]);
      const current = await asRead();
      const results = await Promise.all([
        audit.recordDurable([read('b')]),
        audit.recordDurable([read('c'), read('d')], stale),
        audit.recordDurable([read('e')]),
        audit.recordDurable([read('f'), read('g')], stale),
        audit.recordDurable([read('h')], current),
      ]);
      expect(results).toEqual([true, false, true, false, true]);
      expect((await outboxNames(ds)).sort()).toEqual(['a', 'b', 'e', 'h']);
      // The run gone (with its workflow): nothing for it is written any more.
      await ds.query(`DELETE FROM workflows WHERE id = $1`, [workflow.id]);
      expect(await audit.recordDurable([read('i')], current)).toBe(false);
      expect((await outboxNames(ds)).sort()).toEqual(['a', 'b', 'e', 'h']);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('records the first of repeated denials at once and one summary with the repeat count when the window closes', async () => {
    vi.useFakeTimers();
    const f = fakes();
    const audit = auditServiceFactory({ dataSource: f.dataSource, queue: f.queue, collapseWindowMs: 10_000 });
    await audit.record(denial());
    for (let i = 2; i <= 5; i++) await audit.record(denial({ context: { requestId: `req-${i}`, ip: '127.0.0.1', userAgent: 'vitest' } }));
    // Another reason, actor or resource is another denial.
    await audit.record(denial({ reason: 'explicit_deny' }));
    expect(f.queued.map((j) => j.data.event!.count)).toEqual([1, 1]);

    await vi.advanceTimersByTimeAsync(10_000);
    expect(f.queued).toHaveLength(3);
    expect(f.queued[2]!.data.event).toMatchObject({ count: 4, requestId: 'req-5', reason: 'implicit_deny' });

    // The window is closed: the next denial is recorded at once again.
    await audit.record(denial());
    expect(f.queued).toHaveLength(4);
  });

  it('flushes pending denial summaries on close and never collapses allowed events', async () => {
    const f = fakes();
    const audit = auditServiceFactory({ dataSource: f.dataSource, queue: f.queue, collapseWindowMs: 60_000 });
    for (let i = 0; i < 3; i++) await audit.record(denial());
    for (let i = 0; i < 3; i++) await audit.record(denial({ decision: 'allow' }));
    expect(f.queued).toHaveLength(4);
    await audit.close();
    expect(f.queued.map((j) => j.data.event!.count)).toEqual([1, 1, 1, 1, 2]);
  });

  it('group-commits durable writes made while one is committing, each returning only after its own commit', async () => {
    const statements: Array<{ sql: string; keys: string[]; commit: () => void }> = [];
    const manager = {
      query: (sql: string, params: unknown[]) =>
        new Promise<unknown[]>((resolve) =>
          statements.push({
            sql,
            // One row per call, its events packed.
            keys: (JSON.parse(params[0] as string) as Array<{ event: unknown }>).flatMap((r) =>
              (unpackAuditEvents(r.event) as AuditEventPayload[]).map((e) => e.idempotencyKey),
            ),
            commit: () => resolve([]),
          }),
        ),
    };
    const audit = auditServiceFactory({ dataSource: { query: manager.query } as unknown as DataSource });
    const read = (name: string) => denial({ action: 'secrets:read_value', decision: 'allow', resource: { kind: 'secret', name } });
    const done: string[] = [];
    const call = (names: string[]) => audit.recordDurable(names.map(read)).then(() => done.push(names.join()));
    // Two batches may run at once; calls made meanwhile wait and then share one statement.
    const calls = [call(['a']), call(['b']), call(['c', 'd']), call(['e']), call(['f'])];
    await vi.waitFor(() => expect(statements).toHaveLength(2));
    expect(done).toEqual([]);
    statements[0]!.commit();
    await vi.waitFor(() => expect(statements).toHaveLength(3));
    expect(statements[2]!.keys).toHaveLength(4); // c, d, e and f: one INSERT, one commit
    expect(done).toEqual(['a']);
    statements[1]!.commit();
    await vi.waitFor(() => expect(done).toEqual(['a', 'b']));
    statements[2]!.commit();
    await Promise.all(calls);
    expect(done).toEqual(['a', 'b', 'c,d', 'e', 'f']);
  });

  it('fails every call of a shared write whose commit fails, and none of them resolves', async () => {
    let statements = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const manager = {
      query: async () => {
        statements += 1;
        // The first statement holds the batcher busy so that the next calls share one.
        if (statements === 1) await gate;
        throw new Error('could not serialize access / connection terminated');
      },
    };
    const audit = auditServiceFactory({ dataSource: { query: manager.query } as unknown as DataSource });
    const read = (name: string) => denial({ action: 'secrets:read_value', decision: 'allow', resource: { kind: 'secret', name } });
    const first = audit.recordDurable(read('a')).then(() => 'served', () => 'refused');
    const second = audit.recordDurable(read('b')).then(() => 'served', () => 'refused');
    const shared = ['c', 'd', 'e'].map((n) => audit.recordDurable(read(n)).then(() => 'served', () => 'refused'));
    release();
    expect(await Promise.all([first, second, ...shared])).toEqual(['refused', 'refused', 'refused', 'refused', 'refused']);
    // Not retried one by one: a lost connection or a refused commit answers every call at once.
    expect(statements).toBe(3);
  });

  it('lets only one durable write per interval carry the NOTIFY, and the next one after a failed notifying write', async () => {
    let t = 1_000;
    const sent: boolean[] = [];
    let fail = false;
    const manager = {
      query: async (sql: string) => {
        sent.push(sql.includes('pg_notify'));
        if (fail) throw new Error('connection terminated');
        return [];
      },
    };
    const audit = auditServiceFactory({ dataSource: { query: manager.query } as unknown as DataSource, nowMs: () => t });
    const read = denial({ action: 'secrets:read_value', decision: 'allow', resource: { kind: 'secret', name: 'a' } });
    await audit.recordDurable(read);
    t += 10;
    await audit.recordDurable(read);
    t += DURABLE_WAKE_EVERY_MS;
    fail = true;
    await expect(audit.recordDurable(read)).rejects.toThrow();
    fail = false;
    t += 1;
    await audit.recordDurable(read);
    t += 1;
    await audit.recordDurable(read);
    expect(sent).toEqual([true, false, true, true, false]);
  });
});
