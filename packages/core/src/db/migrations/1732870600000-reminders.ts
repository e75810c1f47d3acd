import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Reminders1732870600000 implements MigrationInterface {
  name = 'Reminders1732870600000';

  async up(q: QueryRunner): Promise<void> {
    // When the next reminder email is owed: the due date, then every repeat interval after it.
    // The scan reads only rows whose time has come, through a partial index, so a scan with
    // nothing due touches nothing.
    await q.query(`ALTER TABLE secrets ADD COLUMN reminder_next_notify_at timestamptz`);
    await q.query(`DROP INDEX IF EXISTS secrets_reminder_due_idx`);
    await q.query(
      `CREATE INDEX secrets_reminder_notify_idx ON secrets (reminder_next_notify_at) WHERE reminder_next_notify_at IS NOT NULL AND status = 'active'`,
    );
    await q.query(
      `CREATE INDEX secrets_reminder_due_idx ON secrets (company_id, reminder_next_due_at) WHERE reminder_next_due_at IS NOT NULL AND status <> 'deleted'`,
    );
    // One row per occurrence (secret, due date, n): the durable record that it was claimed,
    // and the outbox its email job is (re-)enqueued from.
    await q.query(`
      CREATE TABLE reminder_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        secret_id uuid NOT NULL REFERENCES secrets(id) ON DELETE CASCADE,
        due_at timestamptz NOT NULL,
        n integer NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','failed','cancelled')),
        recipients text[] NOT NULL DEFAULT '{}',
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        UNIQUE (secret_id, due_at, n)
      )`);
    await q.query(`CREATE INDEX reminder_deliveries_pending_idx ON reminder_deliveries (created_at) WHERE status = 'pending'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE reminder_deliveries`);
    await q.query(`DROP INDEX IF EXISTS secrets_reminder_notify_idx`);
    await q.query(`ALTER TABLE secrets DROP COLUMN reminder_next_notify_at`);
  }
}
