import { EntitySchema } from 'typeorm';

// EntitySchema rather than decorators: our build emits no decorator metadata, and explicit
// column types keep the schema readable next to the SQL migrations that actually create it.

export interface CompanyRow {
  id: string;
  name: string;
  createdAt: Date;
}

export const CompanyEntity = new EntitySchema<CompanyRow>({
  name: 'Company',
  tableName: 'companies',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    name: { type: 'text' },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
  },
});

export interface UserRow {
  id: string;
  companyId: string;
  email: string;
  name: string;
  passwordHash: string;
  roles: string[];
  groups: string[];
  createdAt: Date;
  updatedAt: Date;
}

export const UserEntity = new EntitySchema<UserRow>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    companyId: { type: 'uuid', name: 'company_id' },
    email: { type: 'text' },
    name: { type: 'text' },
    passwordHash: { type: 'text', name: 'password_hash' },
    roles: { type: 'text', array: true },
    groups: { type: 'text', array: true },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    updatedAt: { type: 'timestamptz', name: 'updated_at', updateDate: true },
  },
});

export interface SessionRow {
  id: string;
  tokenHash: Buffer;
  userId: string;
  companyId: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  ip: string | null;
  userAgent: string | null;
}

export const SessionEntity = new EntitySchema<SessionRow>({
  name: 'Session',
  tableName: 'sessions',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    tokenHash: { type: 'bytea', name: 'token_hash' },
    userId: { type: 'uuid', name: 'user_id' },
    companyId: { type: 'uuid', name: 'company_id' },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    expiresAt: { type: 'timestamptz', name: 'expires_at' },
    lastSeenAt: { type: 'timestamptz', name: 'last_seen_at' },
    ip: { type: 'text', nullable: true },
    userAgent: { type: 'text', name: 'user_agent', nullable: true },
  },
});

export interface ServiceTokenRow {
  id: string;
  companyId: string;
  name: string;
  tokenHash: Buffer;
  roles: string[];
  groups: string[];
  createdBy: string | null;
  /** The token that minted this one (null when a user did). */
  createdByToken: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export const ServiceTokenEntity = new EntitySchema<ServiceTokenRow>({
  name: 'ServiceToken',
  tableName: 'service_tokens',
  columns: {
    id: { type: 'uuid', primary: true, generated: 'uuid' },
    companyId: { type: 'uuid', name: 'company_id' },
    name: { type: 'text' },
    tokenHash: { type: 'bytea', name: 'token_hash' },
    roles: { type: 'text', array: true },
    groups: { type: 'text', array: true },
    createdBy: { type: 'uuid', name: 'created_by', nullable: true },
    createdByToken: { type: 'uuid', name: 'created_by_token', nullable: true },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
    expiresAt: { type: 'timestamptz', name: 'expires_at', nullable: true },
    revokedAt: { type: 'timestamptz', name: 'revoked_at', nullable: true },
    lastUsedAt: { type: 'timestamptz', name: 'last_used_at', nullable: true },
  },
});

export interface AuditOutboxRow {
  id: string;
  companyId: string;
  idempotencyKey: string;
  event: Record<string, unknown>;
  createdAt: Date;
}

export const AuditOutboxEntity = new EntitySchema<AuditOutboxRow>({
  name: 'AuditOutbox',
  tableName: 'audit_outbox',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    companyId: { type: 'uuid', name: 'company_id' },
    idempotencyKey: { type: 'text', name: 'idempotency_key' },
    event: { type: 'jsonb' },
    createdAt: { type: 'timestamptz', name: 'created_at', createDate: true },
  },
});
