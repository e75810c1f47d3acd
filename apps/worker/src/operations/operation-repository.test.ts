import { randomUUID } from 'node:crypto';
import { createDataSource, parseOperationOutcome, type AuditEventInput, type OperationKind } from '@nembl/core';
import { createTestDatabase, explainedNodes, type PlanNode, type TestDatabase } from '@nembl/testkit';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLAIM_SQL,
  finishStatement,
  operationRepositoryFactory,
  type OperationRepository,
} from './operation-repository.js';

let db: TestDatabase;
let ds: DataSource;
let repo: OperationRepository;
let companyId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  ds = createDataSource({ url: db.url, poolSize: 4 });
  await ds.initialize();
  repo = operationRepositoryFactory({ dataSource: ds });
  const [row] = (await ds.query(`INSERT INTO companies (name) VALUES ('ops') RETURNING id`)) as Array<{ id: string }>;
  companyId = row!.id;
});

afterAll(async () => {
  await ds?.destroy();
  await db?.drop();
});

const actor = { type: 'system' as const, id: null, label: 'test' };

const newSecret = async (status: string, extra: { reminderIntervalDays?: number } = {}): Promise<string> => {
  const [row] = (await ds.query(
    `INSERT INTO secrets (company_id, name, type, status, version, next_seq, created_by_type, created_by_label, reminder_interval_days)
     VALUES ($1, $2, 'custom', $3, $4, 0, 'system', 'test', $5) RETURNING id`,
    [
      companyId,
      `s-${randomUUID().slice(0, 8)}`,
      status,
      status === 'pending' ? 0 : 1,
      extra.reminderIntervalDays ?? null,
    ],
  )) as Array<{ id: string }>;
  return row!.id;
};

const newOperation = async (secretId: string, kind: OperationKind, status = 'queued'): Promise<string> => {
  const id = randomUUID();
  await ds.query(
    `WITH s AS (UPDATE secrets SET next_seq = next_seq + 1 WHERE id = $2 RETURNING company_id, name, next_seq)
     INSERT INTO operations (id, company_id, secret_id, secret_name, kind, status, seq, sealed_payload, actor)
     SELECT $1, s.company_id, $2, s.name, $3, $4, s.next_seq, '\\x00'::bytea, '{"type":"system","id":null,"label":"test"}' FROM s`,
    [id, secretId, kind, status],
  );
  return id;
};

const auditFor = (operationId: string, action: string): AuditEventInput => ({
  companyId,
  actor: { type: 'system', id: null, label: 'worker' },
  action,
  resource: { kind: 'secret', name: 'x' },
  decision: 'allow',
  reason: 'test',
  operationId,
  context: { requestId: 'r', ip: null, userAgent: null },
  at: new Date(),
});

const secretRow = async (id: string) =>
  (
    (await ds.query(
      `SELECT status, version, last_rotated_at, reminder_next_due_at, deleted_at FROM secrets WHERE id = $1`,
      [id],
    )) as Array<{
      status: string;
      version: number;
      last_rotated_at: Date | null;
      reminder_next_due_at: Date | null;
      deleted_at: Date | null;
    }>
  )[0]!;

const count = async (sql: string, params: unknown[]) => ((await ds.query(sql, params)) as Array<{ n: number }>)[0]!.n;

describe('claiming an operation', () => {
  it('claims a queued operation for a lease, in one statement, with what the worker needs', async () => {
    const secret = await newSecret('pending');
    const id = await newOperation(secret, 'create');
    const claim = await repo.claim(id, 30_000);
    expect(claim.state).toBe('claimed');
    if (claim.state !== 'claimed') return;
    expect(claim.op).toMatchObject({ id, kind: 'create', status: 'running', attempts: 1 });
    expect(claim.op.sealedPayload).toEqual(Buffer.from([0]));
    expect(claim.op.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 20_000);
  });

  it('keeps per-secret order: a later operation waits while an earlier one is open', async () => {
    const secret = await newSecret('active');
    const first = await newOperation(secret, 'update_value');
    const second = await newOperation(secret, 'update_value');
    expect(await repo.claim(second, 30_000)).toEqual({ state: 'behind', earlierId: first });
    const [row] = (await ds.query(`SELECT status, attempts FROM operations WHERE id = $1`, [second])) as Array<{
      status: string;
      attempts: number;
    }>;
    expect(row).toEqual({ status: 'queued', attempts: 0 });
    expect((await repo.claim(first, 30_000)).state).toBe('claimed');
  });

  it('answers finished for a finished operation and missing for an unknown one, changing nothing', async () => {
    const secret = await newSecret('active');
    const done = await newOperation(secret, 'update_value', 'succeeded');
    expect(await repo.claim(done, 30_000)).toEqual({ state: 'finished' });
    expect(await repo.claim(randomUUID(), 30_000)).toEqual({ state: 'missing' });
    expect(await count(`SELECT attempts AS n FROM operations WHERE id = $1`, [done])).toBe(0);
  });
});

describe('finishing an operation', () => {
  it('activates a created secret, records version 1 and the audit event, wipes the value and answers the outcome', async () => {
    const secret = await newSecret('pending', { reminderIntervalDays: 30 });
    const id = await newOperation(secret, 'create');
    await repo.claim(id, 30_000);
    const at = new Date(Date.UTC(2026, 4, 1, 12));
    const outcome = await repo.finish({
      op: { id, secretId: secret, kind: 'create', actor },
      outcome: 'succeeded',
      at,
      storeVersionId: id,
      audit: auditFor(id, 'secrets:create_succeeded'),
    });
    expect(parseOperationOutcome(outcome!)).toEqual({
      id,
      status: 'succeeded',
      finishedAt: at,
      errorCode: null,
      errorMessage: null,
      secret: {
        status: 'active',
        version: 1,
        updatedAt: at,
        lastRotatedAt: at,
        deletedAt: null,
        reminderNextDueAt: new Date(at.getTime() + 30 * 86_400_000),
        reminderNotifiedDueAt: null,
        reminderNotifiedN: null,
        reminderLastError: null,
      },
    });
    expect(await secretRow(secret)).toMatchObject({ status: 'active', version: 1, last_rotated_at: at });
    const [op] = (await ds.query(`SELECT status, sealed_payload, lease_until FROM operations WHERE id = $1`, [
      id,
    ])) as Array<Record<string, unknown>>;
    expect(op).toEqual({ status: 'succeeded', sealed_payload: null, lease_until: null });
    expect(
      await count(`SELECT count(*)::int AS n FROM secret_versions WHERE operation_id = $1 AND version = 1`, [id]),
    ).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'operationId' = $1`, [id])).toBe(1);
    // The outbox row and the event it carries name the same idempotency key (one payload).
    expect(
      await count(
        `SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'operationId' = $1 AND idempotency_key = event->>'idempotencyKey'`,
        [id],
      ),
    ).toBe(1);
  });

  it('finishes once: a second finisher (a re-run that raced it) writes nothing and answers null', async () => {
    const secret = await newSecret('active');
    const id = await newOperation(secret, 'update_value');
    await repo.claim(id, 30_000);
    const finish = () =>
      repo.finish({
        op: { id, secretId: secret, kind: 'update_value', actor },
        outcome: 'succeeded',
        at: new Date(),
        storeVersionId: id,
        audit: auditFor(id, 'secrets:update_value_succeeded'),
      });
    const results = await Promise.all([finish(), finish()]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    expect((await secretRow(secret)).version).toBe(2);
    expect(await count(`SELECT count(*)::int AS n FROM secret_versions WHERE operation_id = $1`, [id])).toBe(1);
    expect(await count(`SELECT count(*)::int AS n FROM audit_outbox WHERE event->>'operationId' = $1`, [id])).toBe(1);
  });

  it('finishes concurrent operations together in one statement, each with its own outcome', async () => {
    const secrets = await Promise.all(Array.from({ length: 6 }, () => newSecret('pending')));
    const ids = await Promise.all(secrets.map((s) => newOperation(s, 'create')));
    const claims = await Promise.all(ids.map((id) => repo.claim(id, 30_000)));
    expect(claims.map((c) => c.state)).toEqual(Array(6).fill('claimed'));
    const outcomes = await Promise.all(
      ids.map((id, i) =>
        repo.finish({
          op: { id, secretId: secrets[i]!, kind: 'create', actor },
          outcome: 'succeeded',
          at: new Date(),
          storeVersionId: id,
          audit: auditFor(id, 'a'),
        }),
      ),
    );
    expect(outcomes.map((o) => parseOperationOutcome(o!)?.id)).toEqual(ids);
    for (const s of secrets) expect(await secretRow(s)).toMatchObject({ status: 'active', version: 1 });
  });

  it('does not finish an operation no worker claimed', async () => {
    const secret = await newSecret('active');
    const id = await newOperation(secret, 'update_value');
    expect(
      await repo.finish({
        op: { id, secretId: secret, kind: 'update_value', actor },
        outcome: 'failed',
        at: new Date(),
        error: { code: 'X', message: 'x' },
        audit: auditFor(id, 'a'),
      }),
    ).toBeNull();
  });

  it('leaves a secret deleting when a value update accepted before its delete finishes', async () => {
    const secret = await newSecret('active');
    const update = await newOperation(secret, 'update_value');
    await newOperation(secret, 'delete');
    await ds.query(`UPDATE secrets SET status = 'deleting' WHERE id = $1`, [secret]);
    await repo.claim(update, 30_000);
    await repo.finish({
      op: { id: update, secretId: secret, kind: 'update_value', actor },
      outcome: 'succeeded',
      at: new Date(),
      storeVersionId: update,
      audit: auditFor(update, 'a'),
    });
    expect(await secretRow(secret)).toMatchObject({ status: 'deleting', version: 2 });
  });

  it('marks a failed create failed and a failed delete active again, with the error on the operation', async () => {
    const created = await newSecret('pending');
    const create = await newOperation(created, 'create');
    await repo.claim(create, 30_000);
    const outcome = await repo.finish({
      op: { id: create, secretId: created, kind: 'create', actor },
      outcome: 'failed',
      at: new Date(),
      error: { code: 'Invalid', message: 'refused' },
      audit: auditFor(create, 'secrets:create_failed'),
    });
    expect(parseOperationOutcome(outcome!)).toMatchObject({
      status: 'failed',
      errorCode: 'Invalid',
      errorMessage: 'refused',
      secret: { status: 'failed', version: 0 },
    });

    const kept = await newSecret('deleting');
    const del = await newOperation(kept, 'delete');
    await repo.claim(del, 30_000);
    await repo.finish({
      op: { id: del, secretId: kept, kind: 'delete', actor },
      outcome: 'failed',
      at: new Date(),
      error: { code: 'Unavailable', message: 'down' },
      audit: auditFor(del, 'a'),
    });
    expect(await secretRow(kept)).toMatchObject({ status: 'active', deleted_at: null });
  });

  it('deletes: the secret becomes a tombstone and loses its owners', async () => {
    const secret = await newSecret('deleting');
    const [user] = (await ds.query(
      `INSERT INTO users (company_id, email, name, password_hash, roles) VALUES ($1, $2, 'u', 'x', '{}') RETURNING id`,
      [companyId, `u-${randomUUID().slice(0, 8)}@example.com`],
    )) as Array<{ id: string }>;
    await ds.query(`INSERT INTO secret_owners (secret_id, user_id) VALUES ($1, $2)`, [secret, user!.id]);
    const id = await newOperation(secret, 'delete');
    await repo.claim(id, 30_000);
    const at = new Date();
    await repo.finish({
      op: { id, secretId: secret, kind: 'delete', actor },
      outcome: 'succeeded',
      at,
      audit: auditFor(id, 'secrets:delete_succeeded'),
    });
    expect(await secretRow(secret)).toMatchObject({ status: 'deleted', version: 1 });
    expect((await secretRow(secret)).deleted_at?.getTime()).toBe(at.getTime());
    expect(await count(`SELECT count(*)::int AS n FROM secret_owners WHERE secret_id = $1`, [secret])).toBe(0);
  });
});

describe('the claim and finish statements’ plans', () => {
  /** A statement parameter as SQL text (`EXECUTE` takes literals, not bound parameters). */
  const literal = (v: unknown): string => {
    const quote = (t: string) => `'${t.replaceAll("'", "''")}'`;
    const element = (e: unknown) =>
      e === null || e === undefined
        ? 'NULL'
        : `"${String(e instanceof Date ? e.toISOString() : e).replace(/["\\]/g, (c) => `\\${c}`)}"`;
    if (v === null || v === undefined) return 'NULL';
    if (Array.isArray(v)) return quote(`{${v.map(element).join(',')}}`);
    if (v instanceof Date) return quote(v.toISOString());
    return quote(String(v));
  };

  /**
   * How each plan Postgres may run reaches `operations` (nothing executes): the custom plan of a
   * call with these values (EXPLAIN with bound parameters), and the generic plan a prepared
   * statement caches for the life of its connection (PREPARE, then EXPLAIN EXECUTE under
   * `force_generic_plan`; bound parameters would give the custom plan again).
   */
  const operationsAccess = async (sql: string, values: unknown[]) => {
    const runner = ds.createQueryRunner();
    await runner.connect();
    const access = (mode: string, plan: PlanNode[]) =>
      plan.flatMap((n) => [
        ...(n['Relation Name'] === 'operations' && n['Node Type'] === 'Seq Scan' ? [`${mode}: Seq Scan`] : []),
        ...(n['Index Name']?.startsWith('operations_') ? [`${mode}: ${n['Index Name']}`] : []),
      ]);
    try {
      const custom = explainedNodes(await runner.query(`EXPLAIN (FORMAT JSON) ${sql}`, values));
      await runner.query(`PREPARE plan_probe AS ${sql}`);
      await runner.query('SET plan_cache_mode = force_generic_plan');
      const generic = explainedNodes(
        await runner.query(`EXPLAIN (FORMAT JSON) EXECUTE plan_probe(${values.map(literal).join(', ')})`),
      );
      return [...new Set([...access('custom', custom), ...access('generic', generic)])].sort();
    } finally {
      await runner.query('DEALLOCATE ALL');
      await runner.query('RESET plan_cache_mode');
      await runner.release();
    }
  };

  // The table as a fresh install has it (small, never analyzed, so autovacuum is kept off it
  // here). The plan a call runs (custom: Postgres keeps choosing custom plans for these, which
  // know the batch's size) must go by primary key, not through the partial open/lease indexes whose
  // dead entries pile up with every finished operation until vacuum (seen as claims and finishes
  // slowing under load). A generic plan made now may scan the table (the cheapest plan for a tiny
  // one; the next ANALYZE replaces it), but never through those indexes.
  it('reach operations by primary key, and never through the partial open/lease indexes', async () => {
    await ds.query('ALTER TABLE operations SET (autovacuum_enabled = false)');
    try {
      const secretId = await newSecret('pending');
      const id = await newOperation(secretId, 'create');
      const claim = await operationsAccess(CLAIM_SQL, [[id], [30_000], ['queued', 'running'], ['queued']]);
      const op = { id, secretId, kind: 'create' as const, actor };
      const { sql, values } = finishStatement('create', 'succeeded', [
        {
          op,
          outcome: 'succeeded',
          at: new Date(),
          storeVersionId: id,
          audit: auditFor(id, 'secrets:create_succeeded'),
        },
      ]);
      const finish = await operationsAccess(sql, values);
      for (const seen of [claim, finish]) {
        expect(seen).toContain('custom: operations_pkey');
        expect(seen.filter((a) => /^custom: Seq Scan|operations_open_idx|operations_lease_idx/.test(a))).toEqual([]);
      }
    } finally {
      await ds.query('ALTER TABLE operations RESET (autovacuum_enabled)');
    }
  });
});
