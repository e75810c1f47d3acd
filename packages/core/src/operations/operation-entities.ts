import { EntitySchema } from 'typeorm';
import { z } from 'zod';

export const OPERATION_KINDS = ['create', 'update_value', 'delete'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export const OPERATION_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type OperationStatus = (typeof OPERATION_STATUSES)[number];

export interface OperationActor {
  type: 'user' | 'token' | 'system';
  id: string | null;
  label: string;
}

export interface OperationRow {
  id: string;
  companyId: string;
  secretId: string;
  secretName: string;
  kind: OperationKind;
  status: OperationStatus;
  seq: string;
  sealedPayload: Buffer | null;
  attempts: number;
  errorCode: string | null;
  errorMessage: string | null;
  actor: OperationActor;
  requestId: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** While `running`: until when the worker applying it holds it (it extends this as it works). */
  leaseUntil: Date | null;
}

export const OperationEntity = new EntitySchema<OperationRow>({
  name: 'Operation',
  tableName: 'operations',
  columns: {
    id: { type: 'uuid', primary: true },
    companyId: { type: 'uuid', name: 'company_id' },
    secretId: { type: 'uuid', name: 'secret_id' },
    secretName: { type: 'text', name: 'secret_name' },
    kind: { type: 'text' },
    status: { type: 'text' },
    seq: { type: 'bigint' },
    sealedPayload: { type: 'bytea', name: 'sealed_payload', nullable: true },
    attempts: { type: 'integer' },
    errorCode: { type: 'text', name: 'error_code', nullable: true },
    errorMessage: { type: 'text', name: 'error_message', nullable: true },
    actor: { type: 'jsonb' },
    requestId: { type: 'text', name: 'request_id', nullable: true },
    createdAt: { type: 'timestamptz', name: 'created_at' },
    startedAt: { type: 'timestamptz', name: 'started_at', nullable: true },
    finishedAt: { type: 'timestamptz', name: 'finished_at', nullable: true },
    leaseUntil: { type: 'timestamptz', name: 'lease_until', nullable: true },
  },
});

interface OperationSqlRow {
  id: string;
  company_id: string;
  secret_id: string;
  secret_name: string;
  kind: OperationKind;
  status: OperationStatus;
  seq: string | number;
  sealed_payload: Buffer | null;
  attempts: number;
  error_code: string | null;
  error_message: string | null;
  actor: OperationActor;
  request_id: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  lease_until: Date | null;
}

export const operationRowFromSql = (raw: Record<string, unknown>): OperationRow => {
  const r = raw as unknown as OperationSqlRow;
  return {
    id: r.id,
    companyId: r.company_id,
    secretId: r.secret_id,
    secretName: r.secret_name,
    kind: r.kind,
    status: r.status,
    seq: String(r.seq),
    sealedPayload: r.sealed_payload,
    attempts: r.attempts,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    actor: r.actor,
    requestId: r.request_id,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    leaseUntil: r.lease_until ?? null,
  };
};

/** The public shape of an operation (`GET /operations/{id}`). */
export const operationSchema = z
  .object({
    id: z.guid(),
    kind: z.enum(OPERATION_KINDS),
    secretName: z.string(),
    status: z.enum(OPERATION_STATUSES),
    error: z
      .object({ code: z.string(), message: z.string() })
      .optional()
      .meta({ description: 'Present when the operation failed; never contains a value.' }),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Operation', description: 'An asynchronous write to the secret store.' });

export type OperationJson = z.infer<typeof operationSchema>;

export const operationJson = (o: OperationRow): OperationJson => ({
  id: o.id,
  kind: o.kind,
  secretName: o.secretName,
  status: o.status,
  ...(o.errorCode ? { error: { code: o.errorCode, message: o.errorMessage ?? '' } } : {}),
  createdAt: o.createdAt.toISOString(),
  finishedAt: o.finishedAt?.toISOString() ?? null,
});
