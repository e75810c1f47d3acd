import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Audit1732870300000 implements MigrationInterface {
  name = 'Audit1732870300000';

  async up(q: QueryRunner): Promise<void> {
    // The hash-chained log. Rows are written only by the audit worker, in seq order per company.
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY,
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        seq bigint NOT NULL CHECK (seq >= 1),
        idempotency_key text NOT NULL UNIQUE,
        at timestamptz NOT NULL,
        actor_type text NOT NULL CHECK (actor_type IN ('user','token','system')),
        actor_id text,
        actor_label text NOT NULL,
        action text NOT NULL,
        resource_kind text NOT NULL,
        resource_name text,
        decision text NOT NULL CHECK (decision IN ('allow','deny')),
        reason text NOT NULL,
        count integer NOT NULL DEFAULT 1 CHECK (count >= 1),
        operation_id uuid,
        request_id text NOT NULL,
        ip text,
        user_agent text,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        -- One event per position: two writers can never fork a company's chain.
        CONSTRAINT audit_events_company_seq_key UNIQUE (company_id, seq)
      )`);
    // GET /audit: newest first (at, then seq), optionally filtered by one of these columns.
    await q.query(`CREATE INDEX audit_events_at_idx ON audit_events (company_id, at DESC, seq DESC)`);
    await q.query(`CREATE INDEX audit_events_action_idx ON audit_events (company_id, action, at DESC, seq DESC)`);
    await q.query(`CREATE INDEX audit_events_actor_id_idx ON audit_events (company_id, actor_id, at DESC, seq DESC)`);
    await q.query(`CREATE INDEX audit_events_actor_label_idx ON audit_events (company_id, actor_label, at DESC, seq DESC)`);
    await q.query(`CREATE INDEX audit_events_resource_idx ON audit_events (company_id, resource_name, at DESC, seq DESC)`);
    await q.query(`CREATE INDEX audit_events_decision_idx ON audit_events (company_id, decision, at DESC, seq DESC)`);
    // The last link of each company's chain. Writers lock this row, so appends are serialized
    // per company (and only per company).
    await q.query(`
      CREATE TABLE audit_chain_heads (
        company_id uuid PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        hash text NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_chain_heads, audit_events`);
  }
}
