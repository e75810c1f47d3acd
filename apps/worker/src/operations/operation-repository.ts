import {
  auditOutboxRepository,
  dueAtSql,
  OPEN_OPERATION_STATUSES,
  operationRowFromSql,
  operationStatusesBefore,
  batchWhileBusy,
  preparedQuery,
  sqlParams,
  secretStatusOnFinish,
  toAuditPayload,
  writesVersion,
  type AuditEventInput,
  type OperationKind,
  type OperationOutcomeStatus,
  type OperationRow,
} from '@nembl/core';
import type { DataSource } from 'typeorm';

/** What a worker found when it tried to claim an operation. */
export type Claim =
  | { state: 'claimed'; op: OperationRow }
  /** An earlier operation on the same secret is still open: per-secret order says wait. */
  | { state: 'behind'; earlierId: string }
  /** Already finished (by an earlier run). */
  | { state: 'finished' }
  | { state: 'missing' };

export interface Finish {
  op: Pick<OperationRow, 'id' | 'secretId' | 'kind' | 'actor'>;
  outcome: OperationOutcomeStatus;
  at: Date;
  /** The store's version id of the value written (create / update_value that succeeded). */
  storeVersionId?: string | null;
  error?: { code: string; message: string };
  /** The worker's audit event for the outcome, written in the same statement (transactional outbox). */
  audit: AuditEventInput;
}

/** Postgres time → epoch ms in JSON (`OperationOutcome`'s wire format); truncated like pg's own Date parsing. */
const ms = (col: string) => `floor(extract(epoch FROM ${col}) * 1000)`;

const OUTCOME = `json_build_object(
    'id', op.id, 'status', op.status, 'finishedAt', ${ms('op.finished_at')},
    'errorCode', op.error_code, 'errorMessage', op.error_message,
    'secret', json_build_object(
      'status', s.status, 'version', s.version, 'updatedAt', ${ms('s.updated_at')},
      'lastRotatedAt', ${ms('s.last_rotated_at')}, 'deletedAt', ${ms('s.deleted_at')},
      'reminderNextDueAt', ${ms('s.reminder_next_due_at')}, 'reminderNotifiedDueAt', ${ms('s.reminder_notified_due_at')},
      'reminderNotifiedN', s.reminder_notified_n, 'reminderLastError', s.reminder_last_error))::text`;

/**
 * The statement that finishes a batch of operations of one kind and outcome (one statement is a
 * transaction of its own; a batch of one when the worker is not busy). Each operation moves to
 * its outcome only from a status the state machine allows, so a second finisher changes nothing;
 * then, driven by those rows, their secrets (status per `secretStatusOnFinish`, guarded by the
 * status its acceptance set; version, rotation and reminder dates for a new value), version rows,
 * owners (delete) and audit events; it answers each outcome for the waiting request. The sealed
 * values are wiped in the same row updates. The text depends only on kind and outcome, so each is
 * one prepared statement; the operations come as arrays.
 */
export const finishStatement = (kind: OperationKind, outcome: OperationOutcomeStatus, batch: readonly Finish[]) => {
  // One payload per event: the outbox row and the event inside it carry the same idempotency key.
  const audits = batch.map((f) => toAuditPayload(f.audit));
  const { values, p } = sqlParams();
  const ids = p(
    batch.map((f) => f.op.id),
    '::uuid[]',
  );
  const input = `input AS (
    SELECT * FROM unnest(${ids}, ${p(
      batch.map((f) => f.at),
      '::timestamptz[]',
    )},
                         ${p(
                           batch.map((f) => f.error?.code ?? null),
                           '::text[]',
                         )},
                         ${p(
                           batch.map((f) => f.error?.message.slice(0, 500) ?? null),
                           '::text[]',
                         )},
                         ${p(
                           batch.map((f) => f.storeVersionId ?? f.op.id),
                           '::text[]',
                         )},
                         ${p(
                           batch.map((f) => f.op.actor.type),
                           '::text[]',
                         )}, ${p(
                           batch.map((f) => f.op.actor.id),
                           '::uuid[]',
                         )},
                         ${p(
                           batch.map((f) => f.op.actor.label),
                           '::text[]',
                         )},
                         ${p(
                           audits.map((e) => e.idempotencyKey),
                           '::text[]',
                         )},
                         ${p(
                           audits.map((e) => JSON.stringify(e)),
                           '::jsonb[]',
                         )})
      AS i(id, at, error_code, error_message, store_version_id, actor_type, actor_id, actor_label, audit_key, audit_event))`;
  const change = secretStatusOnFinish(kind, outcome);
  const newVersion = outcome === 'succeeded' && writesVersion(kind);
  const opCte = `op AS (
    UPDATE operations o SET status = ${p(outcome, '::text')}, finished_at = i.at, lease_until = NULL, sealed_payload = NULL,
           error_code = i.error_code, error_message = i.error_message
      FROM input i
     WHERE o.id = i.id AND o.id = ANY(${ids}) AND o.status = ANY(${p(operationStatusesBefore(outcome), '::text[]')})
    RETURNING o.id, o.company_id, o.secret_id, o.status, o.finished_at, o.error_code, o.error_message,
              i.at, i.store_version_id, i.actor_type, i.actor_id, i.actor_label, i.audit_key, i.audit_event)`;

  const sets: string[] = [];
  if (change) {
    const guard = `secrets.status = ${p(change.from, '::text')}`;
    sets.push(`status = CASE WHEN ${guard} THEN ${p(change.to, '::text')} ELSE secrets.status END`);
    if (change.to === 'deleted') sets.push(`deleted_at = CASE WHEN ${guard} THEN op.at ELSE secrets.deleted_at END`);
  }
  if (newVersion) {
    const due = dueAtSql('op.at', 'secrets.reminder_interval_days');
    sets.push(
      'version = secrets.version + 1',
      'last_rotated_at = op.at',
      `reminder_next_due_at = ${due}`,
      `reminder_next_notify_at = ${due}`,
      'reminder_notified_due_at = NULL',
      'reminder_notified_n = NULL',
      'reminder_last_error = NULL',
    );
  }
  if (sets.length > 0) sets.push('updated_at = op.at');
  // One operation per secret in a batch (the batcher sees to it), so each secret row is updated once.
  const secretCte =
    sets.length > 0
      ? `s AS (UPDATE secrets SET ${sets.join(', ')} FROM op WHERE secrets.id = op.secret_id RETURNING secrets.*, op.id AS op_id)`
      : `s AS (SELECT secrets.*, op.id AS op_id FROM secrets JOIN op ON secrets.id = op.secret_id)`;

  const ctes = [input, opCte, secretCte];
  if (newVersion) {
    ctes.push(`v AS (
      INSERT INTO secret_versions (secret_id, version, store_version_id, operation_id, created_at, created_by_type, created_by_id, created_by_label)
      SELECT s.id, s.version, op.store_version_id, op.id, op.at, op.actor_type, op.actor_id, op.actor_label
        FROM s JOIN op ON op.id = s.op_id)`);
  }
  if (change?.to === 'deleted') {
    ctes.push(`own AS (DELETE FROM secret_owners WHERE secret_id IN (SELECT id FROM s WHERE s.status = 'deleted'))`);
  }
  ctes.push(
    auditOutboxRepository.cte({
      from: 'op',
      companyId: 'op.company_id',
      idempotencyKey: 'op.audit_key',
      event: 'op.audit_event',
    }),
  );
  const sql = `WITH ${ctes.join(',\n')} SELECT op.id, ${OUTCOME} AS outcome FROM op JOIN s ON s.op_id = op.id`;
  return { name: `operation-finish-${kind}-${outcome}`, sql, values };
};

/**
 * Loads, checks the per-secret order and claims, for a batch of operations (`claim`). Both reads
 * of `operations` and the update name the primary key (`o.id = ANY($1)`): without it the planner,
 * believing the table small, ran the update through the partial open index, whose dead entries
 * grow with every finished operation until vacuum.
 */
export const CLAIM_SQL = `WITH wanted AS (SELECT * FROM unnest($1::uuid[], $2::double precision[]) AS w(id, lease_ms)),
   target AS (
     SELECT o.id, o.status, w.lease_ms,
            (SELECT e.id FROM operations e
              WHERE e.secret_id = o.secret_id AND e.seq < o.seq AND e.status = ANY($3::text[])
              ORDER BY e.seq LIMIT 1) AS earlier_id
       FROM operations o JOIN wanted w ON w.id = o.id
      WHERE o.id = ANY($1::uuid[])
   ),
   claimed AS (
     UPDATE operations o
        SET status = 'running', attempts = o.attempts + 1, started_at = COALESCE(o.started_at, now()),
            lease_until = now() + make_interval(secs => t.lease_ms / 1000)
       FROM target t
      WHERE o.id = t.id AND o.id = ANY($1::uuid[]) AND t.earlier_id IS NULL AND o.status = ANY($4::text[])
     RETURNING o.*
   )
   -- A claim need not be durable on its own: losing it (a crash) leaves the operation as it
   -- was, for the relay; the finish that follows commits synchronously and so flushes it too.
   SELECT set_config('synchronous_commit', 'off', true) AS async_commit, t.id AS target_id,
          t.earlier_id AS target_earlier_id, c.*
     FROM target t LEFT JOIN claimed c ON c.id = t.id`;

export const operationRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  // The hot path's statements, parsed and planned once per connection.
  const prepared = preparedQuery(dataSource);

  // Concurrent jobs share their claim and finish statements (see batchWhileBusy).
  const claimBatch = batchWhileBusy<{ id: string; leaseMs: number }, Claim>({
    keyOf: (c) => c.id,
    run: async (batch) => {
      const rows = await prepared<Record<string, unknown>>('operation-claim', CLAIM_SQL, [
        batch.map((c) => c.id),
        batch.map((c) => c.leaseMs),
        OPEN_OPERATION_STATUSES,
        operationStatusesBefore('running'),
      ]);
      const byId = new Map(rows.map((r) => [r.target_id as string, r]));
      return batch.map(({ id }): Claim => {
        const r = byId.get(id);
        if (!r) return { state: 'missing' };
        if (r.id) return { state: 'claimed', op: operationRowFromSql(r) };
        if (r.target_earlier_id) return { state: 'behind', earlierId: r.target_earlier_id as string };
        return { state: 'finished' };
      });
    },
  });

  const finishers = new Map<string, (f: Finish) => Promise<string | null>>();
  const finisher = (kind: OperationKind, outcome: OperationOutcomeStatus) => {
    const key = `${kind}-${outcome}`;
    let run = finishers.get(key);
    if (!run) {
      run = batchWhileBusy<Finish, string | null>({
        // One operation per secret per batch; the same operation twice (two runs racing) too.
        keyOf: (f) => f.op.secretId,
        run: async (batch) => {
          const { name, sql, values } = finishStatement(kind, outcome, batch);
          const rows = await prepared<{ id: string; outcome: string }>(name, sql, values);
          const byId = new Map(rows.map((r) => [r.id, r.outcome]));
          return batch.map((f) => byId.get(f.op.id) ?? null);
        },
      });
      finishers.set(key, run);
    }
    return run;
  };

  return {
    /**
     * Loads, checks the per-secret order and claims for `leaseMs` (database time, so every
     * worker's clock agrees), in one statement: the operation moves to `running` only when no
     * earlier one on its secret is still open and its status allows it.
     */
    claim: (operationId: string, leaseMs: number): Promise<Claim> => claimBatch({ id: operationId, leaseMs }),

    /** Keeps the claim alive while the worker is still applying the operation. */
    extendLease: (id: string, leaseMs: number) =>
      prepared(
        'operation-extend-lease',
        `UPDATE operations SET lease_until = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1 AND status = 'running'`,
        [id, leaseMs],
      ),

    /**
     * Finishes an operation exactly once (see `finishStatement`) and answers its outcome, as it
     * is announced to waiting requests (`OperationOutcome` JSON). Null when another run already
     * finished it: then nothing was written.
     */
    finish: (f: Finish): Promise<string | null> => finisher(f.op.kind, f.outcome)(f),

    /**
     * Operations that may have no job to carry them: queued for a while (the enqueue after commit
     * failed, or the job was lost with Redis), or running with an expired lease (the worker that
     * claimed them is gone). The relay checks the queue for each.
     */
    stranded: async (queuedOlderThan: Date, limit: number): Promise<string[]> => {
      const rows: Array<{ id: string }> = await dataSource.query(
        `SELECT id FROM operations
        WHERE (status = 'queued' AND created_at < $1) OR (status = 'running' AND lease_until < now())
        ORDER BY created_at LIMIT $2`,
        [queuedOlderThan, limit],
      );
      return rows.map((r) => r.id);
    },
  };
};

export type OperationRepository = ReturnType<typeof operationRepositoryFactory>;
