import { isFinishedOperation, OPERATION_STATUSES, type OperationOutcome } from '@nembl/core';
import type { DataSource } from 'typeorm';

const FINISHED = OPERATION_STATUSES.filter(isFinishedOperation);

/** What the API reads about operations while a request waits for one. */
export const operationRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  /**
   * The outcomes of those of `ids` that have finished, in the shape the worker announces them:
   * for a request whose notification was missed (listener reconnecting) or never carried one.
   */
  findOutcomes: async (ids: string[]): Promise<OperationOutcome[]> => {
    if (ids.length === 0) return [];
    const rows: Array<{
      id: string;
      status: OperationOutcome['status'];
      finished_at: Date;
      error_code: string | null;
      error_message: string | null;
      s_status: OperationOutcome['secret']['status'];
      version: number;
      updated_at: Date;
      last_rotated_at: Date | null;
      deleted_at: Date | null;
      reminder_next_due_at: Date | null;
      reminder_notified_due_at: Date | null;
      reminder_notified_n: number | null;
      reminder_last_error: string | null;
    }> = await dataSource.query(
      `SELECT o.id, o.status, o.finished_at, o.error_code, o.error_message, s.status AS s_status, s.version, s.updated_at,
              s.last_rotated_at, s.deleted_at, s.reminder_next_due_at, s.reminder_notified_due_at, s.reminder_notified_n,
              s.reminder_last_error
         FROM operations o JOIN secrets s ON s.id = o.secret_id
        WHERE o.id = ANY($1::uuid[]) AND o.status = ANY($2::text[])`,
      [ids, FINISHED],
    );
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      finishedAt: r.finished_at,
      errorCode: r.error_code,
      errorMessage: r.error_message,
      secret: {
        status: r.s_status,
        version: r.version,
        updatedAt: r.updated_at,
        lastRotatedAt: r.last_rotated_at,
        deletedAt: r.deleted_at,
        reminderNextDueAt: r.reminder_next_due_at,
        reminderNotifiedDueAt: r.reminder_notified_due_at,
        reminderNotifiedN: r.reminder_notified_n,
        reminderLastError: r.reminder_last_error,
      },
    }));
  },
});

export type ApiOperationRepository = ReturnType<typeof operationRepositoryFactory>;
