import { randomUUID } from 'node:crypto';
import {
  auditEventRepository,
  auditOutboxRepository,
  auditRecordFromRow,
  AUDIT_EVENT_COLUMNS,
  createDataSource,
  createLogger,
  createQueue,
  enqueue,
  packAuditEvents,
  preparedQuery,
  QueueName,
  redisConnection,
  STORED_KEYS_SQL,
  startWorker,
  toAuditPayload,
  verifyChain,
  type AuditEventPayload,
  type AuditEventRow,
  type QueueDeps,
} from '@nembl/core';
import { createTestDatabase, explainedNodes, uniqueQueuePrefix, type TestDatabase } from '@nembl/testkit';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditChainWriterFactory } from './audit-chain-writer.js';
import { auditOutboxDrainerFactory } from './audit-outbox-drainer.js';
import { auditProcessorFactory } from './audit-processor.js';

const logger = createLogger({ level: 'warn', name: 'audit-test', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

let db: TestDatabase;
let ds: DataSource;
let connection: Redis;
let queueDeps: QueueDeps;
const workers: Worker[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource({ url: db.url, poolSize: 12 });
  await ds.initialize();
  connection = redisConnection('redis://127.0.0.1:6379', 'worker');
});

beforeEach(() => {
  // A fresh queue per test: nothing left over from the previous one.
  queueDeps = { connection, prefix: uniqueQueuePrefix() };
});

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.close(true)));
  connection?.disconnect();
  await ds?.destroy();
  await db?.drop();
});

const newCompany = async (): Promise<string> => {
  const [row] = (await ds.query(`INSERT INTO companies (name) VALUES ('audit') RETURNING id`)) as { id: string }[];
  return row!.id;
};

const event = (companyId: string, i: number): AuditEventPayload =>
  toAuditPayload({
    companyId,
    actor: { type: 'user', id: randomUUID(), label: `u${i}@example.com` },
    action: 'secrets:create',
    resource: { kind: 'secret', name: `s-${i}` },
    decision: 'allow',
    reason: 'explicit_allow',
    context: { requestId: `r-${i}`, ip: '127.0.0.1', userAgent: 'vitest' },
    at: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, i)),
  });

const chainOf = async (companyId: string) => {
  const rows: AuditEventRow[] = await ds.query(`SELECT ${AUDIT_EVENT_COLUMNS} FROM audit_events WHERE company_id = $1 ORDER BY seq`, [companyId]);
  const [head] = (await ds.query(`SELECT seq::int AS seq, hash FROM audit_chain_heads WHERE company_id = $1`, [companyId])) as Array<{
    seq: number;
    hash: string;
  }>;
  const records = rows.map(auditRecordFromRow);
  return { records, head, verification: verifyChain(records, head) };
};

const outboxInsert = (e: AuditEventPayload) =>
  ds.query(`INSERT INTO audit_outbox (company_id, idempotency_key, event) VALUES ($1, $2, $3)`, [e.companyId, e.idempotencyKey, JSON.stringify(e)]);

/**
 * Fails the next `times` chain-head updates, i.e. after the batch's events were inserted and
 * before its commit. A sequence is used because it is not rolled back with the failed transaction.
 */
const failNextCommits = async (times: number) => {
  const seqName = `audit_fault_${randomUUID().replaceAll('-', '')}`;
  await ds.query(`CREATE SEQUENCE ${seqName}`);
  await ds.query(`
    CREATE OR REPLACE FUNCTION audit_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF nextval('${seqName}') <= ${times} THEN RAISE EXCEPTION 'injected crash before commit'; END IF;
      RETURN NEW;
    END $$`);
  await ds.query(`DROP TRIGGER IF EXISTS audit_fault ON audit_chain_heads`);
  await ds.query(`CREATE TRIGGER audit_fault BEFORE UPDATE ON audit_chain_heads FOR EACH ROW EXECUTE FUNCTION audit_fault()`);
  return {
    fired: async () => Number(((await ds.query(`SELECT last_value FROM ${seqName}`)) as Array<{ last_value: string }>)[0]!.last_value),
    remove: () => ds.query(`DROP TRIGGER IF EXISTS audit_fault ON audit_chain_heads`),
  };
};

const writer = () => auditChainWriterFactory({ dataSource: ds, logger });

describe('audit chain writer', () => {
  it('appends events as a linear, verifiable chain and writes an event it already holds only once', async () => {
    const companyId = await newCompany();
    const w = writer();
    const first = Array.from({ length: 5 }, (_, i) => event(companyId, i));
    expect(await w.writeEvents(first)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    // A retried batch, with one new event and a duplicate inside the batch itself.
    const extra = event(companyId, 5);
    expect((await w.writeEvents([first[1]!, extra, first[3]!, extra])).every((o) => o === undefined)).toBe(true);

    const { records, head, verification } = await chainOf(companyId);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(records.map((r) => r.idempotencyKey)).toEqual([...first, extra].map((e) => e.idempotencyKey));
    expect(head).toEqual({ seq: 6, hash: records[5]!.hash });
    expect(verification).toEqual({ ok: true, checked: 6, firstBadEventId: null });
  });

  it('keeps companies apart: one chain each, and a failing company does not fail the others', async () => {
    const a = await newCompany();
    const gone = randomUUID(); // no such company
    const outcomes = await writer().writeEvents([event(a, 1), event(gone, 2), event(a, 3)]);
    expect(outcomes).toEqual([undefined, undefined, undefined]);
    expect((await chainOf(a)).records).toHaveLength(2);
    expect((await chainOf(gone)).records).toHaveLength(0);
  });

  it('finds the keys it already holds by one index probe each, not by scanning the log', async () => {
    const companyId = await newCompany();
    const stored = Array.from({ length: 3000 }, (_, i) => event(companyId, i));
    expect((await writer().writeEvents(stored)).every((o) => o === undefined)).toBe(true);
    await ds.query('ANALYZE audit_events');
    // A drain's batch: half of it already in the log (a retry), half new.
    const keys = [...stored.slice(0, 250).map((e) => e.idempotencyKey), ...Array.from({ length: 250 }, () => randomUUID())];
    const found = await ds.transaction((em) => auditEventRepository.storedKeys(em, keys));
    expect([...found].sort()).toEqual(keys.slice(0, 250).sort());

    const plan = explainedNodes(await ds.query(`EXPLAIN (FORMAT JSON) ${STORED_KEYS_SQL}`, [keys]));
    const onLog = plan.filter((n) => n['Relation Name'] === 'audit_events');
    // (`idempotency_key = ANY($1)` is planned as a sequential scan of the whole log here.)
    expect(onLog.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`.trim())).toEqual([
      expect.stringMatching(/^Index (Only )?Scan audit_events_idempotency_key_key$/),
    ]);
  });
});

describe('audit queue processing', () => {
  it('rolls back a batch that fails after its insert, retries its jobs and ends with each event exactly once', async () => {
    const companyId = await newCompany();
    const fault = await failNextCommits(1);
    try {
      const w = writer();
      const process = auditProcessorFactory({ writer: w, drainer: auditOutboxDrainerFactory({ dataSource: ds, writer: w, logger }) });
      workers.push(startWorker(QueueName.Audit, process, queueDeps, { concurrency: 50 }));
      const queue = createQueue(QueueName.Audit, queueDeps);
      const events = Array.from({ length: 30 }, (_, i) => event(companyId, i));
      await Promise.all(
        events.map((e) =>
          enqueue(queue, { kind: 'event', event: e }, { jobId: e.idempotencyKey, attempts: 5, backoff: { type: 'fixed', delay: 50 } }),
        ),
      );
      await vi.waitFor(async () => expect(await queue.getCompletedCount()).toBe(30), { timeout: 15_000, interval: 100 });
      expect(await fault.fired()).toBeGreaterThan(1);

      const { records, verification } = await chainOf(companyId);
      expect(records).toHaveLength(30);
      expect(new Set(records.map((r) => r.idempotencyKey))).toEqual(new Set(events.map((e) => e.idempotencyKey)));
      expect(verification.ok).toBe(true);
      await queue.close();
    } finally {
      await fault.remove();
    }
  });

  it('does not write twice when a worker dies after its batch committed but before its jobs completed', async () => {
    const companyId = await newCompany();
    const w = writer();
    const drainer = auditOutboxDrainerFactory({ dataSource: ds, writer: w, logger });
    const real = auditProcessorFactory({ writer: w, drainer });
    const stallOpts = { concurrency: 50, lockDuration: 1000, stalledInterval: 500, maxStalledCount: 5 };
    let committed = 0;
    // Worker A writes, then never reports back: like a process killed right after commit.
    const doomed = startWorker(
      QueueName.Audit,
      async (job) => {
        await real(job);
        committed += 1;
        return new Promise<string>(() => undefined);
      },
      queueDeps,
      stallOpts,
    );
    workers.push(doomed);
    const queue = createQueue(QueueName.Audit, queueDeps);
    const events = Array.from({ length: 10 }, (_, i) => event(companyId, i));
    for (const e of events) await enqueue(queue, { kind: 'event', event: e }, { jobId: e.idempotencyKey, attempts: 5 });
    await vi.waitFor(() => expect(committed).toBe(10), { timeout: 10_000, interval: 50 });
    await doomed.close(true);

    workers.push(startWorker(QueueName.Audit, real, queueDeps, stallOpts));
    await vi.waitFor(async () => expect(await queue.getCompletedCount()).toBe(10), { timeout: 20_000, interval: 100 });
    const { records, verification } = await chainOf(companyId);
    expect(records).toHaveLength(10);
    expect(verification.ok).toBe(true);
    await queue.close();
  });
});

describe('audit outbox drainer', () => {
  it('moves outbox rows into the chain oldest first and deletes them in the same transaction', async () => {
    const companyId = await newCompany();
    const events = Array.from({ length: 12 }, (_, i) => event(companyId, i));
    for (const e of events) await outboxInsert(e);
    const drainer = auditOutboxDrainerFactory({ dataSource: ds, writer: writer(), logger, batchSize: 5 });
    expect(await drainer.run()).toBe(12);
    const { records, verification } = await chainOf(companyId);
    expect(records.map((r) => r.idempotencyKey)).toEqual(events.map((e) => e.idempotencyKey));
    expect(verification.ok).toBe(true);
    expect(await ds.query(`SELECT * FROM audit_outbox WHERE company_id = $1`, [companyId])).toEqual([]);
  });

  it('chains every event of a packed row (a durable write) in order, each under its own key', async () => {
    const companyId = await newCompany();
    const prepared = preparedQuery(ds);
    const single = event(companyId, 0);
    const reads = Array.from({ length: 10 }, (_, i) => ({ ...event(companyId, 1 + i), action: 'secrets:read_value', at: single.at }));
    await outboxInsert(single);
    await auditOutboxRepository.insertAll(prepared, [{ payloads: reads.slice(0, 7) }, { payloads: reads.slice(7) }], { notify: false });
    expect(await ds.query(`SELECT count(*)::int AS n FROM audit_outbox WHERE company_id = $1`, [companyId])).toEqual([{ n: 3 }]);
    const drainer = auditOutboxDrainerFactory({ dataSource: ds, writer: writer(), logger });
    expect(await drainer.run()).toBe(3);
    const { records, verification } = await chainOf(companyId);
    expect(verification.ok).toBe(true);
    expect(records.map((r) => r.idempotencyKey)).toEqual([single, ...reads].map((e) => e.idempotencyKey));
    expect(records.map((r) => [r.action, r.resourceName, r.actorLabel, r.requestId])).toEqual(
      [single, ...reads].map((e) => [e.action, e.resource.name, e.actor.label, e.requestId]),
    );
    // The same events in the outbox again (as after a pass whose commit was lost): nothing is written twice.
    await auditOutboxRepository.insertAll(prepared, [{ payloads: reads.slice(0, 7) }], { notify: false });
    expect(await drainer.run()).toBe(1);
    expect((await chainOf(companyId)).records).toHaveLength(11);
  });

  it('leaves a packed row with one unreadable event in place, and drains all the rest in one run', async () => {
    const companyId = await newCompany();
    const [a, b] = [event(companyId, 1), event(companyId, 2)];
    const packed = packAuditEvents([a, { ...b, decision: 'maybe' as 'allow' }]);
    await ds.query(`INSERT INTO audit_outbox (company_id, idempotency_key, event) VALUES ($1, $2, $3)`, [companyId, a.idempotencyKey, JSON.stringify(packed)]);
    const good = Array.from({ length: 7 }, (_, i) => event(companyId, 10 + i));
    for (const e of good) await outboxInsert(e);
    // Passes of 3 rows: the bad row is in the first; the run goes on until the outbox is drained.
    const drainer = auditOutboxDrainerFactory({ dataSource: ds, writer: writer(), logger, batchSize: 3 });
    expect(await drainer.run()).toBe(7);
    expect((await chainOf(companyId)).records.map((r) => r.idempotencyKey)).toEqual(good.map((e) => e.idempotencyKey));
    expect(await ds.query(`SELECT idempotency_key FROM audit_outbox WHERE company_id = $1`, [companyId])).toEqual([
      { idempotency_key: a.idempotencyKey },
    ]);
  });

  it('leaves the rows in the outbox when the transaction fails, and writes them once on the next pass', async () => {
    const companyId = await newCompany();
    const events = Array.from({ length: 4 }, (_, i) => event(companyId, i));
    for (const e of events) await outboxInsert(e);
    const fault = await failNextCommits(1);
    try {
      const drainer = auditOutboxDrainerFactory({ dataSource: ds, writer: writer(), logger });
      await expect(drainer.run()).rejects.toThrow(/injected crash/);
      expect((await chainOf(companyId)).records).toHaveLength(0);
      expect(await ds.query(`SELECT id FROM audit_outbox WHERE company_id = $1`, [companyId])).toHaveLength(4);
      expect(await drainer.run()).toBe(4);
      expect((await chainOf(companyId)).records).toHaveLength(4);
    } finally {
      await fault.remove();
    }
  });

  it('keeps every chain linear with two drainers and a queue writer working at once', async () => {
    const [a, b] = [await newCompany(), await newCompany()];
    const outboxEvents = Array.from({ length: 600 }, (_, i) => event(i % 3 === 0 ? b : a, i));
    for (let i = 0; i < outboxEvents.length; i += 100) {
      const chunk = outboxEvents.slice(i, i + 100);
      await ds.query(
        `INSERT INTO audit_outbox (company_id, idempotency_key, event)
         SELECT (e->>'companyId')::uuid, e->>'idempotencyKey', e FROM jsonb_array_elements($1::jsonb) AS e`,
        [JSON.stringify(chunk)],
      );
    }
    const queued = Array.from({ length: 200 }, (_, i) => event(i % 2 === 0 ? a : b, 1000 + i));
    const w = writer();
    const d1 = auditOutboxDrainerFactory({ dataSource: ds, writer: w, logger, batchSize: 50 });
    const d2 = auditOutboxDrainerFactory({ dataSource: ds, writer: auditChainWriterFactory({ dataSource: ds, logger }), logger, batchSize: 50 });
    const [n1, n2] = await Promise.all([
      d1.run(),
      d2.run(),
      ...Array.from({ length: 10 }, (_, i) => w.writeEvents(queued.slice(i * 20, i * 20 + 20))),
    ]);
    expect((n1 as number) + (n2 as number)).toBe(600);
    for (const c of [a, b]) {
      const { records, verification } = await chainOf(c);
      expect(verification).toEqual({ ok: true, checked: records.length, firstBadEventId: null });
      expect(records.map((r) => r.seq)).toEqual(records.map((_, i) => i + 1));
    }
    expect((await chainOf(a)).records.length + (await chainOf(b)).records.length).toBe(800);
  });
});
