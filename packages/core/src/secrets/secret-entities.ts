import { EntitySchema } from 'typeorm';
import type { SecretStatus, SecretType } from './secret-fns.js';

// Schemas mirror the SQL migration (which is the source of truth); repositories use SQL for
// the queries TypeORM cannot express well (partial indexes, SKIP LOCKED, jsonb containment).

export interface SecretRow {
  id: string;
  companyId: string;
  name: string;
  type: SecretType;
  description: string;
  tags: Record<string, string>;
  status: SecretStatus;
  version: number;
  nextSeq: string;
  createdAt: Date;
  updatedAt: Date;
  createdByType: 'user' | 'token' | 'system';
  createdById: string | null;
  createdByLabel: string;
  lastRotatedAt: Date | null;
  deletedAt: Date | null;
  reminderIntervalDays: number | null;
  reminderNextDueAt: Date | null;
  reminderLastSentAt: Date | null;
  reminderLastError: string | null;
  reminderNotifiedDueAt: Date | null;
  reminderNotifiedN: number | null;
}

export const SecretEntity = new EntitySchema<SecretRow>({
  name: 'Secret',
  tableName: 'secrets',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    companyId: { type: 'uuid', name: 'company_id' },
    name: { type: 'text' },
    type: { type: 'text' },
    description: { type: 'text' },
    tags: { type: 'jsonb' },
    status: { type: 'text' },
    version: { type: 'integer' },
    nextSeq: { type: 'bigint', name: 'next_seq' },
    createdAt: { type: 'timestamptz', name: 'created_at' },
    updatedAt: { type: 'timestamptz', name: 'updated_at' },
    createdByType: { type: 'text', name: 'created_by_type' },
    createdById: { type: 'uuid', name: 'created_by_id', nullable: true },
    createdByLabel: { type: 'text', name: 'created_by_label' },
    lastRotatedAt: { type: 'timestamptz', name: 'last_rotated_at', nullable: true },
    deletedAt: { type: 'timestamptz', name: 'deleted_at', nullable: true },
    reminderIntervalDays: { type: 'integer', name: 'reminder_interval_days', nullable: true },
    reminderNextDueAt: { type: 'timestamptz', name: 'reminder_next_due_at', nullable: true },
    reminderLastSentAt: { type: 'timestamptz', name: 'reminder_last_sent_at', nullable: true },
    reminderLastError: { type: 'text', name: 'reminder_last_error', nullable: true },
    reminderNotifiedDueAt: { type: 'timestamptz', name: 'reminder_notified_due_at', nullable: true },
    reminderNotifiedN: { type: 'integer', name: 'reminder_notified_n', nullable: true },
  },
});

export interface SecretVersionRow {
  secretId: string;
  version: number;
  storeVersionId: string;
  operationId: string;
  createdAt: Date;
  createdByType: string;
  createdById: string | null;
  createdByLabel: string;
}

export const SecretVersionEntity = new EntitySchema<SecretVersionRow>({
  name: 'SecretVersion',
  tableName: 'secret_versions',
  columns: {
    secretId: { type: 'uuid', name: 'secret_id', primary: true },
    version: { type: 'integer', primary: true },
    storeVersionId: { type: 'text', name: 'store_version_id' },
    operationId: { type: 'uuid', name: 'operation_id' },
    createdAt: { type: 'timestamptz', name: 'created_at' },
    createdByType: { type: 'text', name: 'created_by_type' },
    createdById: { type: 'uuid', name: 'created_by_id', nullable: true },
    createdByLabel: { type: 'text', name: 'created_by_label' },
  },
});

export interface SecretOwnerRow {
  secretId: string;
  userId: string;
}

export const SecretOwnerEntity = new EntitySchema<SecretOwnerRow>({
  name: 'SecretOwner',
  tableName: 'secret_owners',
  columns: {
    secretId: { type: 'uuid', name: 'secret_id', primary: true },
    userId: { type: 'uuid', name: 'user_id', primary: true },
  },
});

/** A `secrets` row as pg returns it (snake_case). */
interface SecretSqlRow {
  id: string;
  company_id: string;
  name: string;
  type: SecretType;
  description: string;
  tags: Record<string, string>;
  status: SecretStatus;
  version: number;
  next_seq: string | number;
  created_at: Date;
  updated_at: Date;
  created_by_type: SecretRow['createdByType'];
  created_by_id: string | null;
  created_by_label: string;
  last_rotated_at: Date | null;
  deleted_at: Date | null;
  reminder_interval_days: number | null;
  reminder_next_due_at: Date | null;
  reminder_last_sent_at: Date | null;
  reminder_last_error: string | null;
  reminder_notified_due_at: Date | null;
  reminder_notified_n: number | null;
}

export const secretRowFromSql = (raw: Record<string, unknown>): SecretRow => {
  const r = raw as unknown as SecretSqlRow;
  return {
    id: r.id,
    companyId: r.company_id,
    name: r.name,
    type: r.type,
    description: r.description,
    tags: r.tags,
    status: r.status,
    version: r.version,
    nextSeq: String(r.next_seq),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdByType: r.created_by_type,
    createdById: r.created_by_id,
    createdByLabel: r.created_by_label,
    lastRotatedAt: r.last_rotated_at,
    deletedAt: r.deleted_at,
    reminderIntervalDays: r.reminder_interval_days,
    reminderNextDueAt: r.reminder_next_due_at,
    reminderLastSentAt: r.reminder_last_sent_at,
    reminderLastError: r.reminder_last_error,
    reminderNotifiedDueAt: r.reminder_notified_due_at,
    reminderNotifiedN: r.reminder_notified_n,
  };
};

const TIMESTAMP_COLUMNS = [
  'created_at',
  'updated_at',
  'last_rotated_at',
  'deleted_at',
  'reminder_next_due_at',
  'reminder_last_sent_at',
  'reminder_notified_due_at',
  'reminder_next_notify_at',
];

/** A `secrets` row selected as JSON (`to_jsonb(s.*)`), where timestamps arrive as strings. */
export const secretRowFromJson = (raw: Record<string, unknown>): SecretRow => {
  const r = { ...raw };
  for (const k of TIMESTAMP_COLUMNS) if (typeof r[k] === 'string') r[k] = new Date(r[k] as string);
  return secretRowFromSql(r);
};
