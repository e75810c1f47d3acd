import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Secrets1732870200000 implements MigrationInterface {
  name = 'Secrets1732870200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE secrets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        name text NOT NULL,
        type text NOT NULL CHECK (type IN ('api_key','oauth_token','password','certificate','custom')),
        description text NOT NULL DEFAULT '',
        tags jsonb NOT NULL DEFAULT '{}',
        status text NOT NULL CHECK (status IN ('pending','active','deleting','failed','deleted')),
        version integer NOT NULL DEFAULT 0,
        next_seq bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        created_by_type text NOT NULL,
        created_by_id uuid,
        created_by_label text NOT NULL,
        last_rotated_at timestamptz,
        deleted_at timestamptz,
        reminder_interval_days integer CHECK (reminder_interval_days BETWEEN 1 AND 3650),
        reminder_next_due_at timestamptz,
        reminder_last_sent_at timestamptz,
        reminder_last_error text,
        reminder_notified_due_at timestamptz,
        reminder_notified_n integer
      )`);
    // A name is taken until its delete completes; deleted rows stay as tombstones so bound
    // resources can say which secret went away and when.
    await q.query(`CREATE UNIQUE INDEX secrets_live_name_key ON secrets (company_id, name) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX secrets_tags_idx ON secrets USING gin (tags jsonb_path_ops) WHERE status <> 'deleted'`);
    await q.query(`CREATE INDEX secrets_deleted_idx ON secrets (company_id, name, deleted_at DESC) WHERE status = 'deleted'`);
    await q.query(
      `CREATE INDEX secrets_reminder_due_idx ON secrets (reminder_next_due_at) WHERE reminder_next_due_at IS NOT NULL AND status = 'active'`,
    );

    await q.query(`
      CREATE TABLE secret_versions (
        secret_id uuid NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
        version integer NOT NULL,
        store_version_id text NOT NULL,
        operation_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by_type text NOT NULL,
        created_by_id uuid,
        created_by_label text NOT NULL,
        PRIMARY KEY (secret_id, version)
      )`);

    await q.query(`
      CREATE TABLE secret_owners (
        secret_id uuid NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (secret_id, user_id)
      )`);
    await q.query(`CREATE INDEX secret_owners_user_idx ON secret_owners (user_id)`);

    await q.query(`
      CREATE TABLE operations (
        id uuid PRIMARY KEY,
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        secret_id uuid NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
        secret_name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('create','update_value','delete')),
        status text NOT NULL CHECK (status IN ('queued','running','succeeded','failed')),
        seq bigint NOT NULL,
        sealed_payload bytea,
        attempts integer NOT NULL DEFAULT 0,
        error_code text,
        error_message text,
        actor jsonb NOT NULL,
        request_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        finished_at timestamptz,
        UNIQUE (secret_id, seq)
      )`);
    await q.query(`CREATE INDEX operations_open_idx ON operations (created_at) WHERE status IN ('queued','running')`);
    await q.query(`CREATE INDEX operations_company_idx ON operations (company_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE operations, secret_owners, secret_versions, secrets`);
  }
}
