import {
  auditOutboxRepository,
  dueAtSql,
  OPEN_OPERATION_STATUSES,
  operationRowFromSql,
  operationStatusesBefore,
  preparedQuery,
  sqlParams,
  secretStatusOnFinish,
  toAuditPayload,
  writesVersion,
  type AuditEventInput,
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
  op: Pick<OperationRow, 'id' | 'kind' | 'actor'>;
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
 * The one statement that finishes an operation (a single statement is a transaction of its own):
 * the operation moves to its outcome only from a status the state machine allows, so a second
 * finisher changes nothing; then, driven by that row, the secret (status per `secretStatusOnFinish`,
 * guarded by the status its acceptance set; version, rotation and reminder dates for a new value),
 * its version row, its owners (delete) and the audit event; it answers the outcome for the waiting
 * request. The sealed value is wiped in the same row update.
 */
const finishStatement = (f: Finish): { name: string; sql: string; values: unknown[] } => {
  const { values, p } = sqlParams();
  const at = p(f.at, '::timestamptz');
  const change = secretStatusOnFinish(f.op.kind, f.outcome);
  const newVersion = f.outcome === 'succeeded' && writesVersion(f.op.kind);
  const opCte = `UPDATE operations SET status = ${p(f.outcome)}, finished_at = ${at}, lease_until = NULL, sealed_payload = NULL,
           error_code = ${p(f.error?.code ?? null, '::text')}, error_message = ${p(f.error?.message.slice(0, 500) ?? null, '::text')}
     WHERE id = ${p(f.op.id, '::uuid')} AND status = ANY(${p(operationStatusesBefore(f.outcome), '::text[]')})
    RETURNING id, company_id, secret_id, status, finished_at, error_code, error_message`;

  const sets: string[] = [];
  if (change) {
    const guard = `secrets.status = ${p(change.from)}`;
    sets.push(`status = CASE WHEN ${guard} THEN ${p(change.to)} ELSE secrets.status END`);
    if (change.to === 'deleted') sets.push(`deleted_at = CASE WHEN ${guard} THEN ${at} ELSE secrets.deleted_at END`);
  }
  if (newVersion) {
    const due = dueAtSql(at, 'secrets.reminder_interval_days');
    sets.push(
      'version = secrets.version + 1',
      `last_rotated_at = ${at}`,
      `reminder_next_due_at = ${due}`,
      `reminder_next_notify_at = ${due}`,
      'reminder_notified_due_at = NULL',
      'reminder_notified_n = NULL',
      'reminder_last_error = NULL',
    );
  }
  if (sets.length > 0) sets.push(`updated_at = ${at}`);
  const secretCte =
    sets.length > 0
      ? `UPDATE secrets SET ${sets.join(', ')} FROM op WHERE secrets.id = op.secret_id RETURNING secrets.*`
      : `SELECT secrets.* FROM secrets JOIN op ON secrets.id = op.secret_id`;

  const ctes = [`op AS (${opCte})`, `s AS (${secretCte})`];
  if (newVersion) {
    ctes.push(`v AS (
      INSERT INTO secret_versions (secret_id, version, store_version_id, operation_id, created_at, created_by_type, created_by_id, created_by_label)
      SELECT s.id, s.version, ${p(f.storeVersionId ?? f.op.id)}, op.id, ${at}, ${p(f.op.actor.type)}, ${p(f.op.actor.id, '::uuid')}, ${p(f.op.actor.label)}
        FROM s, op)`);
  }
  if (change?.to === 'deleted') {
    ctes.push(`own AS (DELETE FROM secret_owners WHERE secret_id IN (SELECT id FROM s WHERE s.status = 'deleted'))`);
  }
  ctes.push(auditOutboxRepository.cte(toAuditPayload(f.audit), p, 'op'));
  const sql = `WITH ${ctes.join(',\n')} SELECT ${OUTCOME} AS outcome FROM op, s`;
  // The text depends only on kind and outcome: one prepared statement each.
  return { name: `operation-finish-${f.op.kind}-${f.outcome}`, sql, values };
};

export const operationRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  // The hot path's statements, parsed and planned once per connection.
  const prepared = preparedQuery(dataSource);
  return {
    /**
     * Loads, checks the per-secret order and claims for `leaseMs` (database time, so every worker's
     * clock agrees), in one statement: the operation moves to `running` only when no earlier one on
     * its secret is still open and its status allows it.
     */
    claim: async (operationId: string, leaseMs: number): Promise<Claim> => {
      const rows = await prepared(
        'operation-claim',
        `WITH target AS (
         SELECT o.id, o.status,
                (SELECT e.id FROM operations e
                  WHERE e.secret_id = o.secret_id AND e.seq < o.seq AND e.status = ANY($3::text[])
                  ORDER BY e.seq LIMIT 1) AS earlier_id
           FROM operations o WHERE o.id = $1
       ),
       claimed AS (
         UPDATE operations o
            SET status = 'running', attempts = o.attempts + 1, started_at = COALESCE(o.started_at, now()),
                lease_until = now() + make_interval(secs => $2::double precision / 1000)
           FROM target t
          WHERE o.id = t.id AND t.earlier_id IS NULL AND o.status = ANY($4::text[])
         RETURNING o.*
       )
       -- The claim need not be durable on its own: losing it (a crash) leaves the operation as it
       -- was, for the relay; the finish that follows commits synchronously and so flushes it too.
       SELECT set_config('synchronous_commit', 'off', true) AS async_commit, t.earlier_id AS target_earlier_id, c.*
         FROM target t LEFT JOIN claimed c ON true`,
        [operationId, leaseMs, OPEN_OPERATION_STATUSES, operationStatusesBefore('running')],
      );
      const r = rows[0];
      if (!r) return { state: 'missing' };
      if (r.id) return { state: 'claimed', op: operationRowFromSql(r) };
      if (r.target_earlier_id) return { state: 'behind', earlierId: r.target_earlier_id as string };
      return { state: 'finished' };
    },

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
    finish: async (f: Finish): Promise<string | null> => {
      const { name, sql, values } = finishStatement(f);
      const rows = await prepared<{ outcome: string }>(name, sql, values);
      return rows[0]?.outcome ?? null;
    },

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
