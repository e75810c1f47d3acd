import {
  admitsWrite,
  auditOutboxRepository,
  batchWhileBusy,
  ConflictError,
  dueAtSql,
  OPERATION_INITIAL_STATUS,
  operationRowFromSql,
  preparedQuery,
  sqlParams,
  returnedRows,
  secretRowFromJson,
  secretRowFromSql,
  secretStatusesAdmitting,
  secretStatusOnAccept,
  toAuditPayload,
  writeConflictMessage,
  type AuditEventInput,
  type OperationActor,
  type OperationKind,
  type OperationRow,
  type OperationStatus,
  type SecretRow,
  type SecretType,
} from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import type { BoundResource } from './secret-types.js';

import { isUniqueViolation } from '../http/pg-errors.js';

export interface SecretListFilter {
  q?: string | undefined;
  tags?: Array<{ key: string; value: string }>;
  type?: SecretType | undefined;
  /** Due on or before this instant (reminders). */
  dueBefore?: Date | undefined;
}

export interface OperationListFilter {
  statuses?: OperationStatus[] | undefined;
  secretName?: string | undefined;
}

/** Keyset position in the newest-first operation list. */
export interface OperationCursor {
  createdAt: string;
  id: string;
}

export interface NewSecret {
  name: string;
  type: SecretType;
  description: string;
  tags: Record<string, string>;
  actor: OperationActor;
  reminderIntervalDays: number | null;
}

/** An operation to record with the change that accepts it, and the audit event that says so. */
export interface AcceptedOperation {
  id: string;
  kind: OperationKind;
  sealedPayload: Buffer | null;
  actor: OperationActor;
  requestId: string;
  audit: AuditEventInput;
}

export interface Accepted {
  secret: SecretRow;
  operation: OperationRow;
}

export interface VersionInfo {
  version: number;
  createdAt: Date;
  createdBy: { id: string | null; name: string };
}

/** The literal batch sizes of the list statement (see `listPage`); larger batches are a parameter. */
const LIST_BATCH_SIZES = [11, 26, 51, 101, 201, 401];

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The operation row just inserted, from the values it was inserted with (no second read). */
const acceptedOperation = (
  op: AcceptedOperation,
  s: SecretRow,
  seq: string,
  createdAt: Date,
): OperationRow => ({
  id: op.id,
  companyId: s.companyId,
  secretId: s.id,
  secretName: s.name,
  kind: op.kind,
  status: OPERATION_INITIAL_STATUS,
  seq,
  sealedPayload: op.sealedPayload,
  attempts: 0,
  errorCode: null,
  errorMessage: null,
  actor: op.actor,
  requestId: op.requestId,
  createdAt,
  startedAt: null,
  finishedAt: null,
  leaseUntil: null,
});

/** A secret with what its read responses show beside it. */
export interface SecretWithRelations {
  secret: SecretRow;
  owners: Array<{ id: string; email: string }>;
  /** Every binding, before the caller's visibility is applied. */
  bindings: BoundResource[];
}

export interface SecretDetail extends SecretWithRelations {
  versions: VersionInfo[];
}

interface VersionSqlRow {
  version: number;
  created_at: string;
  created_by_id: string | null;
  created_by_label: string;
}

type RelationsSqlRow = Record<string, unknown> & { owners_json: SecretWithRelations['owners']; bindings_json: BoundResource[] };

/** Owners (users `u`) as a JSON array of { id, email }, by email: how every response shows them. */
const OWNERS_AGG = `jsonb_agg(jsonb_build_object('id', u.id, 'email', u.email) ORDER BY u.email)`;

/** Bindings `b` as a JSON array, in the order they are shown (kind, name, detail). */
const BINDINGS_AGG = `jsonb_agg(jsonb_build_object('kind', b.resource_kind, 'id', b.resource_id, 'name', b.resource_name, 'detail', b.detail)
                               ORDER BY b.resource_kind, b.resource_name, b.detail)`;

/** Owners (by email) and bindings of one secret `s`, as JSON columns. */
const RELATIONS = `
  COALESCE((SELECT ${OWNERS_AGG}
              FROM secret_owners o JOIN users u ON u.id = o.user_id WHERE o.secret_id = s.id), '[]') AS owners_json,
  COALESCE((SELECT ${BINDINGS_AGG} FROM secret_bindings b WHERE b.company_id = s.company_id AND b.secret_name = s.name), '[]') AS bindings_json`;

const withRelationsFromSql = ({ owners_json, bindings_json, ...secret }: RelationsSqlRow): SecretWithRelations => ({
  secret: secretRowFromSql(secret),
  owners: owners_json,
  bindings: bindings_json,
});

export const secretRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  const q = (em?: EntityManager) => em ?? dataSource.manager;
  // The write path's statements, parsed and planned once per connection.
  const prepared = preparedQuery(dataSource);

  /**
   * The usual creates, in one statement (atomic on its own) for as many as arrive together
   * (`batchWhileBusy`: a batch of one when the API is quiet): for each, a new pending secret with
   * its owners, its first operation and the audit event, when the name is free and every owner is
   * a user of the company; nothing for the others (null: the caller takes the slow path). One
   * JSON parameter carries the batch (node-postgres escapes array parameters element by element).
   * Rows go in in (company, name) order, so two batches never wait on each other's names in
   * opposite orders; a batch that fails (an owner deleted meanwhile) is run again one by one, so
   * the error is only ever its own create's.
   */
  const createBatch = batchWhileBusy<
    { companyId: string; secret: NewSecret & { owners: string[] }; op: AcceptedOperation },
    (Accepted & { owners: Array<{ id: string; email: string }>; hasBindings: boolean }) | null
  >({
    keyOf: (c) => `${c.companyId}/${c.secret.name}`,
    run: async (batch) => {
      const items = batch.map(({ companyId, secret: s, op }) => {
        const audit = toAuditPayload(op.audit);
        return {
          companyId,
          name: s.name,
          type: s.type,
          description: s.description,
          tags: s.tags,
          actor: s.actor,
          reminderIntervalDays: s.reminderIntervalDays,
          owners: s.owners,
          opId: op.id,
          opKind: op.kind,
          opActor: op.actor,
          sealed: op.sealedPayload?.toString('base64') ?? null,
          requestId: op.requestId,
          auditKey: audit.idempotencyKey,
          audit,
        };
      });
      const rows = await prepared(
        'secret-create-batch',
        `WITH input AS (
           SELECT a.n, (a.e->>'companyId')::uuid AS company_id, a.e->>'name' AS name, a.e->>'type' AS type,
                  a.e->>'description' AS description, a.e->'tags' AS tags, a.e->'actor'->>'type' AS actor_type,
                  (a.e->'actor'->>'id')::uuid AS actor_id, a.e->'actor'->>'label' AS actor_label,
                  (a.e->>'reminderIntervalDays')::int AS reminder_interval_days,
                  ARRAY(SELECT jsonb_array_elements_text(a.e->'owners'))::uuid[] AS owners,
                  (a.e->>'opId')::uuid AS op_id, a.e->>'opKind' AS op_kind, a.e->'opActor' AS op_actor,
                  decode(a.e->>'sealed', 'base64') AS sealed, a.e->>'requestId' AS request_id,
                  a.e->>'auditKey' AS audit_key, a.e->'audit' AS audit_event
             FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS a(e, n)
         ),
         s AS (
           INSERT INTO secrets (company_id, name, type, description, tags, status, next_seq, created_by_type, created_by_id,
                                created_by_label, reminder_interval_days)
           SELECT i.company_id, i.name, i.type, i.description, i.tags, $2::text, 1, i.actor_type, i.actor_id, i.actor_label,
                  i.reminder_interval_days
             FROM input i
            WHERE (SELECT count(*) FROM users u WHERE u.company_id = i.company_id AND u.id = ANY(i.owners)) = cardinality(i.owners)
            ORDER BY i.company_id, i.name
           ON CONFLICT (company_id, name) WHERE status <> 'deleted' DO NOTHING
           RETURNING *
         ),
         si AS (SELECT s.id AS secret_id, i.* FROM s JOIN input i ON i.company_id = s.company_id AND i.name = s.name),
         own AS (INSERT INTO secret_owners (secret_id, user_id) SELECT si.secret_id, unnest(si.owners) FROM si RETURNING secret_id, user_id),
         op AS (
           INSERT INTO operations (id, company_id, secret_id, secret_name, kind, status, seq, sealed_payload, actor, request_id)
           SELECT si.op_id, s.company_id, s.id, s.name, si.op_kind, $3::text, s.next_seq, si.sealed, si.op_actor, si.request_id
             FROM s JOIN si ON si.secret_id = s.id
           RETURNING company_id, secret_id
         ),
         ${auditOutboxRepository.cte({ from: 'op JOIN si ON si.secret_id = op.secret_id', companyId: 'op.company_id', idempotencyKey: 'si.audit_key', event: 'si.audit_event' })}
         SELECT si.n, s.*,
                (SELECT coalesce(${OWNERS_AGG}, '[]')
                   FROM own JOIN users u ON u.id = own.user_id WHERE own.secret_id = s.id) AS owner_list,
                EXISTS (SELECT 1 FROM secret_bindings b WHERE b.company_id = s.company_id AND b.secret_name = s.name) AS has_bindings
           FROM s JOIN si ON si.secret_id = s.id`,
        [JSON.stringify(items), secretStatusOnAccept('create'), OPERATION_INITIAL_STATUS],
      );
      const byItem = new Map(rows.map((r) => [Number(r.n), r]));
      return batch.map(({ op }, i) => {
        const r = byItem.get(i + 1);
        if (!r) return null;
        const secret = secretRowFromSql(r);
        return {
          secret,
          operation: acceptedOperation(op, secret, String(r.next_seq), secret.createdAt),
          owners: r.owner_list as Array<{ id: string; email: string }>,
          // A name that was never used has none (the usual case): no need to look them up.
          hasBindings: r.has_bindings === true,
        };
      });
    },
  });

  const findLive = async (companyId: string, name: string, em?: EntityManager, lock = false): Promise<SecretRow | null> => {
    const rows = await q(em).query(
      `SELECT * FROM secrets WHERE company_id = $1 AND name = $2 AND status <> 'deleted' ${lock ? 'FOR UPDATE' : ''}`,
      [companyId, name],
    );
    return rows[0] ? secretRowFromSql(rows[0]) : null;
  };

  return {
    findLive,

    /** The live secrets among `names` (any order). */
    findLiveByNames: async (companyId: string, names: string[]): Promise<SecretRow[]> => {
      if (names.length === 0) return [];
      const rows = await dataSource.query(
        `SELECT * FROM secrets WHERE company_id = $1 AND name = ANY($2::text[]) AND status <> 'deleted'`,
        [companyId, names],
      );
      return rows.map(secretRowFromSql);
    },

    /** When each of `names` was last deleted, for those with no live secret left (tombstones). */
    lastDeletions: async (companyId: string, names: string[]): Promise<Map<string, Date>> => {
      const rows: Array<{ name: string; deleted_at: Date }> = await dataSource.query(
        `SELECT DISTINCT ON (name) name, deleted_at FROM secrets
          WHERE company_id = $1 AND name = ANY($2) AND status = 'deleted' ORDER BY name, deleted_at DESC`,
        [companyId, names],
      );
      return new Map(rows.map((r) => [r.name, r.deleted_at]));
    },

    /** Any row, tombstones included. */
    findById: async (companyId: string, id: string): Promise<SecretRow | null> => {
      const rows = await dataSource.query(`SELECT * FROM secrets WHERE company_id = $1 AND id = $2`, [companyId, id]);
      return rows[0] ? secretRowFromSql(rows[0]) : null;
    },

    /**
     * One batch of secrets in name order after `after`, each with its owners and bindings, in one
     * statement; the caller filters by policy. The shape of a list page, so a page is one round trip.
     */
    listPage: async (companyId: string, filter: SecretListFilter, after: string | undefined, limit: number): Promise<SecretWithRelations[]> => {
      const where = [`company_id = $1`, `status <> 'deleted'`];
      const params: unknown[] = [companyId];
      let shape = 0;
      const add = (bit: number, sql: (n: number) => string, value: unknown) => {
        shape |= bit;
        params.push(value);
        where.push(sql(params.length));
      };
      if (after !== undefined) add(1, (n) => `name > $${n}`, after);
      if (filter.q) add(2, (n) => `(name ILIKE $${n} OR description ILIKE $${n})`, `%${likeEscape(filter.q)}%`);
      if (filter.type) add(4, (n) => `type = $${n}`, filter.type);
      if (filter.tags && filter.tags.length > 0) {
        add(8, (n) => `tags @> $${n}::jsonb`, JSON.stringify(Object.fromEntries(filter.tags.map((t) => [t.key, t.value]))));
      }
      if (filter.dueBefore) add(16, (n) => `reminder_next_due_at IS NOT NULL AND reminder_next_due_at <= $${n}`, filter.dueBefore);
      // A shape whose best plan does not depend on the values (no tag or text filter) gets its
      // batch size as a literal, rounded up to one of a few sizes: Postgres then keeps one generic
      // plan per connection instead of planning every call (a custom plan wins while the LIMIT is a
      // parameter, whose generic estimate is a tenth of the table), which was a third of the
      // statement's time. A tag or text filter keeps the parameter, so each call is planned for its
      // values (a rare tag is best found through the GIN index, a common one along the name order).
      const bucket = shape & (2 | 8) ? undefined : LIST_BATCH_SIZES.find((b) => b >= limit);
      const limitSql = bucket === undefined ? `$${params.push(limit)}` : String(bucket);
      // One prepared statement per filter shape and literal size (a bounded set: 32 shapes, 6 sizes).
      // Owners and bindings are looked up by the page's keys (`= ANY(ARRAY(…))`, an index probe
      // each), so a page costs the same in a company of ten secrets or a million; `IN (SELECT …)`
      // was planned as a scan of every company's owners and bindings.
      const rows = await prepared<RelationsSqlRow>(
        `secret-list-${shape}${bucket === undefined ? '' : `-${bucket}`}`,
        `WITH page AS (SELECT * FROM secrets WHERE ${where.join(' AND ')} ORDER BY name LIMIT ${limitSql}),
              own AS (SELECT o.secret_id, ${OWNERS_AGG} AS owners_json
                        FROM secret_owners o JOIN users u ON u.id = o.user_id
                       WHERE o.secret_id = ANY(ARRAY(SELECT id FROM page)) GROUP BY o.secret_id),
              bnd AS (SELECT b.secret_name, ${BINDINGS_AGG} AS bindings_json
                        FROM secret_bindings b
                       WHERE b.company_id = $1 AND b.secret_name = ANY(ARRAY(SELECT name FROM page)) GROUP BY b.secret_name)
         SELECT page.*, COALESCE(own.owners_json, '[]') AS owners_json, COALESCE(bnd.bindings_json, '[]') AS bindings_json
           FROM page LEFT JOIN own ON own.secret_id = page.id LEFT JOIN bnd ON bnd.secret_name = page.name
          ORDER BY page.name`,
        params,
      );
      return (rows.length > limit ? rows.slice(0, limit) : rows).map(withRelationsFromSql);
    },

    /**
     * A live secret with its owners, versions (newest first) and bindings, in one prepared
     * statement of four JSON columns (a row of thirty typed columns costs more to describe and
     * parse than the JSON does).
     */
    findDetail: async (companyId: string, name: string): Promise<SecretDetail | null> => {
      const rows = await prepared<{
        secret: Record<string, unknown>;
        owners_json: SecretWithRelations['owners'];
        bindings_json: BoundResource[];
        versions: VersionSqlRow[];
      }>(
        'secret-detail',
        `SELECT to_jsonb(s.*) AS secret, ${RELATIONS},
                COALESCE((SELECT jsonb_agg(jsonb_build_object('version', v.version, 'created_at', v.created_at,
                                                              'created_by_id', v.created_by_id, 'created_by_label', v.created_by_label)
                                           ORDER BY v.version DESC)
                            FROM secret_versions v WHERE v.secret_id = s.id), '[]') AS versions
           FROM secrets s WHERE s.company_id = $1 AND s.name = $2 AND s.status <> 'deleted'`,
        [companyId, name],
      );
      const row = rows[0];
      if (!row) return null;
      return {
        secret: secretRowFromJson(row.secret),
        owners: row.owners_json,
        bindings: row.bindings_json,
        versions: row.versions.map((v) => ({
          version: v.version,
          createdAt: new Date(v.created_at),
          createdBy: { id: v.created_by_id, name: v.created_by_label },
        })),
      };
    },

    /**
     * The usual create, in one statement (atomic on its own): a new pending secret with its
     * owners, its first operation and the audit event, when the name is free and every owner is a
     * user of the company. Null otherwise, with nothing written: the caller then takes the slow
     * path (`insertPending`), which says which it was or replaces a failed secret.
     */
    insertNew: (
      companyId: string,
      secret: NewSecret & { owners: string[] },
      op: AcceptedOperation,
    ): Promise<(Accepted & { owners: Array<{ id: string; email: string }>; hasBindings: boolean }) | null> =>
      createBatch({ companyId, secret, op }),

    /**
     * Records an operation on an existing secret in one statement: takes the next per-secret
     * sequence number and sets the status the operation's acceptance sets, only while the
     * secret's status admits the write (checked on the current row, after any concurrent writer);
     * then the operation and the audit event. Null when the status does not admit it (or the
     * secret is gone), with nothing written.
     */
    accept: async (secretId: string, write: 'update_value' | 'delete', op: AcceptedOperation): Promise<Accepted | null> => {
      const { p, values } = sqlParams();
      const status = p(secretStatusOnAccept(op.kind), '::text');
      const sql = `WITH s AS (
           UPDATE secrets SET next_seq = next_seq + 1, status = COALESCE(${status}, status),
                  updated_at = CASE WHEN ${status} IS NULL THEN updated_at ELSE now() END
            WHERE id = ${p(secretId, '::uuid')} AND status = ANY(${p(secretStatusesAdmitting(write), '::text[]')})
           RETURNING *
         ),
         op AS (
           INSERT INTO operations (id, company_id, secret_id, secret_name, kind, status, seq, sealed_payload, actor, request_id)
           SELECT ${p(op.id, '::uuid')}, s.company_id, s.id, s.name, ${p(op.kind, '::text')}, ${p(OPERATION_INITIAL_STATUS, '::text')},
                  s.next_seq, ${p(op.sealedPayload, '::bytea')}, ${p(JSON.stringify(op.actor), '::jsonb')}, ${p(op.requestId, '::text')}
             FROM s
           RETURNING company_id, created_at
         )`;
      const rows = await prepared(
        `secret-accept-${write}`,
        `${sql}, ${auditOutboxRepository.cte({ from: 'op', companyId: 'op.company_id', ...auditOutboxRepository.cteParams(toAuditPayload(op.audit), p) })}
         SELECT s.*, (SELECT created_at FROM op) AS op_created_at FROM s`,
        values,
      );
      const r = rows[0];
      if (!r) return null;
      const secret = secretRowFromSql(r);
      return { secret, operation: acceptedOperation(op, secret, String(r.next_seq), r.op_created_at as Date) };
    },

    /**
     * Inserts a pending secret, or takes over a live row whose create failed ("a create over a
     * failed name replaces it"). Any other live row with the name is a 409.
     */
    insertPending: async (em: EntityManager, companyId: string, s: NewSecret): Promise<SecretRow> => {
      const existing = await findLive(companyId, s.name, em, true);
      if (existing && !admitsWrite(existing.status, 'replace')) {
        throw new ConflictError(writeConflictMessage(s.name, existing.status, 'replace'), {
          errors: [{ path: 'name', message: 'already in use' }],
        });
      }
      try {
        const rows = existing
          ? returnedRows(await em.query(
              `UPDATE secrets SET status = $9, type = $2, description = $3, tags = $4, version = 0, updated_at = now(),
                      created_at = now(), created_by_type = $5, created_by_id = $6, created_by_label = $7,
                      reminder_interval_days = $8, last_rotated_at = NULL, reminder_next_due_at = NULL,
                      reminder_last_sent_at = NULL, reminder_last_error = NULL
                WHERE id = $1 RETURNING *`,
              [existing.id, s.type, s.description, JSON.stringify(s.tags), s.actor.type, s.actor.id, s.actor.label, s.reminderIntervalDays, secretStatusOnAccept('create')],
            ))
          : await em.query(
              `INSERT INTO secrets (company_id, name, type, description, tags, status, created_by_type, created_by_id,
                                    created_by_label, reminder_interval_days)
               VALUES ($1, $2, $3, $4, $5, $10, $6, $7, $8, $9) RETURNING *`,
              [companyId, s.name, s.type, s.description, JSON.stringify(s.tags), s.actor.type, s.actor.id, s.actor.label, s.reminderIntervalDays, secretStatusOnAccept('create')],
            );
        if (existing) await em.query(`DELETE FROM secret_versions WHERE secret_id = $1`, [existing.id]);
        return secretRowFromSql(rows[0]!);
      } catch (err) {
        if (isUniqueViolation(err, 'secrets_live_name_key')) {
          throw new ConflictError(`A secret named ${s.name} already exists`, { errors: [{ path: 'name', message: 'already in use' }] });
        }
        throw err;
      }
    },

    /** Sets or clears the reminder; the due date is recomputed from the last rotation. */
    setReminder: async (em: EntityManager, id: string, intervalDays: number | null): Promise<SecretRow> => {
      const rows = returnedRows<Record<string, unknown>>(
        await em.query(
          `UPDATE secrets SET reminder_interval_days = $2::int,
                  reminder_next_due_at = ${dueAtSql('last_rotated_at', '$2::int')},
                  reminder_next_notify_at = ${dueAtSql('last_rotated_at', '$2::int')},
                  reminder_notified_due_at = NULL, reminder_notified_n = NULL, reminder_last_error = NULL,
                  updated_at = now()
            WHERE id = $1 RETURNING *`,
          [id, intervalDays],
        ),
      );
      return secretRowFromSql(rows[0]!);
    },

    updateMeta: async (
      em: EntityManager,
      id: string,
      patch: { description?: string | undefined; tags?: Record<string, string> | undefined; type?: SecretType | undefined },
    ): Promise<SecretRow> => {
      const rows = returnedRows(await em.query(
        `UPDATE secrets SET description = COALESCE($2, description), tags = COALESCE($3::jsonb, tags),
                type = COALESCE($4, type), updated_at = now()
          WHERE id = $1 RETURNING *`,
        [id, patch.description ?? null, patch.tags ? JSON.stringify(patch.tags) : null, patch.type ?? null],
      ));
      return secretRowFromSql(rows[0]!);
    },

    /** Records an operation with the next per-secret sequence number, in the caller's transaction. */
    insertOperation: async (
      em: EntityManager,
      op: { id: string; companyId: string; secretId: string; secretName: string; kind: OperationKind; sealedPayload: Buffer | null; actor: OperationActor; requestId: string },
    ): Promise<OperationRow> => {
      const seqRows = returnedRows<{ next_seq: string }>(
        await em.query(`UPDATE secrets SET next_seq = next_seq + 1 WHERE id = $1 RETURNING next_seq`, [op.secretId]),
      );
      const rows = await em.query(
        `INSERT INTO operations (id, company_id, secret_id, secret_name, kind, status, seq, sealed_payload, actor, request_id)
         VALUES ($1, $2, $3, $4, $5, $10, $6, $7, $8, $9) RETURNING *`,
        [op.id, op.companyId, op.secretId, op.secretName, op.kind, seqRows[0]!.next_seq, op.sealedPayload, JSON.stringify(op.actor), op.requestId, OPERATION_INITIAL_STATUS],
      );
      return operationRowFromSql(rows[0]);
    },

    findOperation: async (companyId: string, id: string): Promise<OperationRow | null> => {
      const rows = await dataSource.query(`SELECT * FROM operations WHERE company_id = $1 AND id = $2`, [companyId, id]);
      return rows[0] ? operationRowFromSql(rows[0]) : null;
    },

    /**
     * One batch of operations, newest first, each with the attributes of its secret (tombstones
     * included) for the caller's policy filter. `after` is the key of the previous batch's last row.
     */
    listOperations: async (
      companyId: string,
      filter: OperationListFilter,
      after: OperationCursor | undefined,
      limit: number,
    ): Promise<Array<{ operation: OperationRow; secret: Pick<SecretRow, 'name' | 'type' | 'tags'>; key: OperationCursor }>> => {
      const where = [`o.company_id = $1`];
      const params: unknown[] = [companyId];
      const add = (sql: (n: number) => string, value: unknown) => {
        params.push(value);
        where.push(sql(params.length));
      };
      if (filter.statuses && filter.statuses.length > 0) add((n) => `o.status = ANY($${n}::text[])`, filter.statuses);
      if (filter.secretName !== undefined) add((n) => `o.secret_name = $${n}`, filter.secretName);
      if (after) {
        params.push(after.createdAt, after.id);
        where.push(`(o.created_at, o.id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
      }
      params.push(limit);
      const rows: Array<Record<string, unknown>> = await dataSource.query(
        `SELECT o.*, s.name AS s_name, s.type AS s_type, s.tags AS s_tags,
                to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at_key
           FROM operations o JOIN secrets s ON s.id = o.secret_id
          WHERE ${where.join(' AND ')}
          ORDER BY o.created_at DESC, o.id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map((r) => ({
        operation: operationRowFromSql(r),
        secret: { name: r.s_name as string, type: r.s_type as SecretType, tags: r.s_tags as Record<string, string> },
        // Microsecond precision: a JS Date would truncate the key and skip rows within the same millisecond.
        key: { createdAt: r.created_at_key as string, id: r.id as string },
      }));
    },

    /** The version a new retrieval gets: the secret's current one, with its store version id. */
    currentVersion: async (secretId: string): Promise<{ version: number; storeVersionId: string } | null> => {
      const rows: Array<{ version: number; store_version_id: string }> = await dataSource.query(
        `SELECT v.version, v.store_version_id FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
          WHERE s.id = $1`,
        [secretId],
      );
      return rows[0] ? { version: rows[0].version, storeVersionId: rows[0].store_version_id } : null;
    },

    owners: async (secretIds: string[]): Promise<Map<string, Array<{ id: string; email: string }>>> => {
      const map = new Map<string, Array<{ id: string; email: string }>>();
      if (secretIds.length === 0) return map;
      const rows: Array<{ secret_id: string; id: string; email: string }> = await dataSource.query(
        `SELECT o.secret_id, u.id, u.email FROM secret_owners o JOIN users u ON u.id = o.user_id
          WHERE o.secret_id = ANY($1) ORDER BY u.email`,
        [secretIds],
      );
      for (const r of rows) {
        const list = map.get(r.secret_id) ?? [];
        list.push({ id: r.id, email: r.email });
        map.set(r.secret_id, list);
      }
      return map;
    },

    setOwners: async (em: EntityManager, secretId: string, userIds: string[]) => {
      await em.query(`DELETE FROM secret_owners WHERE secret_id = $1`, [secretId]);
      if (userIds.length > 0) {
        await em.query(
          `INSERT INTO secret_owners (secret_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
          [secretId, userIds],
        );
      }
    },

    /** The subset of `ids` that are users of the company. */
    companyUsers: async (companyId: string, ids: string[]): Promise<Set<string>> => {
      if (ids.length === 0) return new Set();
      const rows: Array<{ id: string }> = await dataSource.query(
        `SELECT id FROM users WHERE company_id = $1 AND id = ANY($2::uuid[])`,
        [companyId, ids],
      );
      return new Set(rows.map((r) => r.id));
    },
  };
};

export type SecretRepository = ReturnType<typeof secretRepositoryFactory>;
