import {
  OPERATION_DONE_CHANNEL,
  operationRowFromSql,
  secretRowFromJson,
  type OperationRow,
  type SecretRow,
} from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';

export const operationRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  load: async (operationId: string): Promise<{ op: OperationRow; secret: SecretRow } | null> => {
    const rows = await dataSource.query(
      `SELECT o.*, row_to_json(s.*) AS secret FROM operations o JOIN secrets s ON s.id = o.secret_id WHERE o.id = $1`,
      [operationId],
    );
    const r = rows[0];
    if (!r) return null;
    return { op: operationRowFromSql(r), secret: secretRowFromJson(r.secret as Record<string, unknown>) };
  },

  /** The earliest operation on the same secret that is still open and comes before `seq`. */
  earlierOpen: async (secretId: string, seq: string): Promise<string | null> => {
    const rows: Array<{ id: string }> = await dataSource.query(
      `SELECT id FROM operations WHERE secret_id = $1 AND seq < $2 AND status IN ('queued','running') ORDER BY seq LIMIT 1`,
      [secretId, seq],
    );
    return rows[0]?.id ?? null;
  },

  /** Claims the operation for `leaseMs` (database time, so every worker's clock agrees). */
  markRunning: (id: string, leaseMs: number) =>
    dataSource.query(
      `UPDATE operations SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, now()),
              lease_until = now() + make_interval(secs => $2::double precision / 1000)
        WHERE id = $1 AND status IN ('queued','running')`,
      [id, leaseMs],
    ),

  /** Keeps the claim alive while the worker is still applying the operation. */
  extendLease: (id: string, leaseMs: number) =>
    dataSource.query(
      `UPDATE operations SET lease_until = now() + make_interval(secs => $2::double precision / 1000) WHERE id = $1 AND status = 'running'`,
      [id, leaseMs],
    ),

  /**
   * Finishes an operation exactly once: locks it, and does nothing if another run already
   * finished it. The sealed value is wiped in the same transaction, and the API is told.
   */
  finish: async (id: string, apply: (em: EntityManager, op: OperationRow) => Promise<void>): Promise<boolean> =>
    dataSource.transaction(async (em) => {
      const rows = await em.query(`SELECT * FROM operations WHERE id = $1 FOR UPDATE`, [id]);
      const op = rows[0] ? operationRowFromSql(rows[0]) : null;
      if (!op || op.status === 'succeeded' || op.status === 'failed') return false;
      await apply(em, op);
      await em.query(`SELECT pg_notify($1, $2)`, [OPERATION_DONE_CHANNEL, id]);
      return true;
    }),

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
});

export type OperationRepository = ReturnType<typeof operationRepositoryFactory>;
