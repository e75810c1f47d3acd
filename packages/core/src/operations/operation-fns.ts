// Pure: the lifecycle of an operation and of the secret it changes, in one place. Services and
// repositories ask these functions (and put their answers into guarded SQL) instead of comparing
// status strings of their own.
import { z } from 'zod';
import type { SecretRow } from '../secrets/secret-entities.js';
import { SECRET_STATUSES, type SecretStatus } from '../secrets/secret-fns.js';
import {
  OPERATION_STATUSES,
  type OperationKind,
  type OperationRow,
  type OperationStatus,
} from './operation-entities.js';

// ---------------------------------------------------------------------------------------------
// Operations: queued → running → succeeded | failed

const OPERATION_NEXT: Record<OperationStatus, readonly OperationStatus[]> = {
  queued: ['running'],
  // A running operation whose worker is gone (lease expired) is claimed again by another one.
  running: ['running', 'succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export type OperationOutcomeStatus = 'succeeded' | 'failed';

/** Every operation starts here, recorded in the transaction that accepts it. */
export const OPERATION_INITIAL_STATUS = 'queued' satisfies OperationStatus;

export const canMoveOperation = (from: OperationStatus, to: OperationStatus): boolean =>
  OPERATION_NEXT[from].includes(to);

/** Finished for good: nothing will change it again. */
export const isFinishedOperation = (status: OperationStatus): status is OperationOutcomeStatus =>
  OPERATION_NEXT[status].length === 0;

/** Queued or running: still owed to the store (the outbox relay and the ordering check look for these). */
export const OPEN_OPERATION_STATUSES: readonly OperationStatus[] = OPERATION_STATUSES.filter(
  (s) => !isFinishedOperation(s),
);

/** The statuses an operation may be in for it to move to `to`: the guard of a repository's UPDATE. */
export const operationStatusesBefore = (to: OperationStatus): OperationStatus[] =>
  OPERATION_STATUSES.filter((from) => canMoveOperation(from, to));

// ---------------------------------------------------------------------------------------------
// Secrets: what an operation does to its secret's status

/** The status a secret takes when an operation on it is accepted (in the API's transaction); null: unchanged. */
export const secretStatusOnAccept = (kind: OperationKind): SecretStatus | null =>
  kind === 'create' ? 'pending' : kind === 'delete' ? 'deleting' : null;

export interface SecretStatusChange {
  /** The change applies only to a secret in this status (a guard, so a late finish cannot undo a newer change). */
  from: SecretStatus;
  to: SecretStatus;
}

const ON_FINISH: Record<OperationKind, Record<OperationOutcomeStatus, SecretStatusChange | null>> = {
  create: { succeeded: { from: 'pending', to: 'active' }, failed: { from: 'pending', to: 'failed' } },
  // A value update never changes the status: a delete accepted behind it has already set `deleting`.
  update_value: { succeeded: null, failed: null },
  // A failed delete leaves the secret usable (the store still has it) rather than stuck `deleting`.
  delete: { succeeded: { from: 'deleting', to: 'deleted' }, failed: { from: 'deleting', to: 'active' } },
};

/** The secret's status change when its operation finishes; null: the status stays as it is. */
export const secretStatusOnFinish = (kind: OperationKind, outcome: OperationOutcomeStatus): SecretStatusChange | null =>
  ON_FINISH[kind][outcome];

/** Whether a finished operation of `kind` wrote a new value version (and so moved the rotation date). */
export const writesVersion = (kind: OperationKind): boolean => kind !== 'delete';

/** Writes the API accepts on an existing secret. `replace` is a create over a live row of the same name. */
export type SecretWrite = 'replace' | 'update_value' | 'delete' | 'update_metadata' | 'set_reminder';

const ADMITTED: Record<SecretWrite, readonly SecretStatus[]> = {
  // "A create over a failed name replaces it"; any other live row keeps its name.
  replace: ['failed'],
  update_value: ['active'],
  delete: ['active', 'failed'],
  update_metadata: ['active', 'failed'],
  set_reminder: ['pending', 'active', 'failed'],
};

export const admitsWrite = (status: SecretStatus, write: SecretWrite): boolean => ADMITTED[write].includes(status);

/** The statuses a secret may be in for `write` to be accepted: the guard of a repository's UPDATE. */
export const secretStatusesAdmitting = (write: SecretWrite): SecretStatus[] =>
  SECRET_STATUSES.filter((s) => admitsWrite(s, write));

/** Why `write` is refused on secret `name` in `status` (the 409's detail); never called for an admitted write. */
export const writeConflictMessage = (name: string, status: SecretStatus, write: SecretWrite): string => {
  if (write === 'replace') return `A secret named ${name} already exists`;
  if (status === 'failed') return `Secret ${name} failed to be created; delete it or create it again`;
  if (status === 'deleting' && write === 'set_reminder') return `Secret ${name} is being deleted`;
  return `Secret ${name} is ${status}; try again when the operation in progress has finished`;
};

// ---------------------------------------------------------------------------------------------
// The outcome of a finished operation, as the worker announces it after the statement that
// finishes it (`operationOutcomeChannel`): what changed on the operation and its secret, so a
// waiting request answers without reading either again.
// Times are epoch milliseconds. Value-free by construction: ids, statuses, counters, dates and
// the operation's value-free error.

const epochMs = z.number().transform((ms) => new Date(ms));

export const operationOutcomeSchema = z.object({
  id: z.string(),
  status: z.enum(['succeeded', 'failed']),
  finishedAt: epochMs,
  errorCode: z.string().nullable(),
  errorMessage: z.string().nullable(),
  secret: z.object({
    status: z.enum(SECRET_STATUSES),
    version: z.number().int(),
    updatedAt: epochMs,
    lastRotatedAt: epochMs.nullable(),
    deletedAt: epochMs.nullable(),
    reminderNextDueAt: epochMs.nullable(),
    reminderNotifiedDueAt: epochMs.nullable(),
    reminderNotifiedN: z.number().int().nullable(),
    reminderLastError: z.string().nullable(),
  }),
});

export type OperationOutcome = z.infer<typeof operationOutcomeSchema>;

/** An announced outcome; null for anything that is not one. */
export const parseOperationOutcome = (payload: string): OperationOutcome | null => {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return null;
  }
  const parsed = operationOutcomeSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
};

/** The operation as it is once `outcome` is recorded. */
export const operationWithOutcome = (op: OperationRow, outcome: OperationOutcome): OperationRow => ({
  ...op,
  status: outcome.status,
  finishedAt: outcome.finishedAt,
  errorCode: outcome.errorCode,
  errorMessage: outcome.errorMessage,
  leaseUntil: null,
  sealedPayload: null,
});

/** The secret as it is once `outcome` is recorded (the fields a finishing operation writes). */
export const secretWithOutcome = (secret: SecretRow, outcome: OperationOutcome): SecretRow => ({
  ...secret,
  ...outcome.secret,
});
