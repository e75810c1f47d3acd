import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Policies1732870400000 implements MigrationInterface {
  name = 'Policies1732870400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE policies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        document jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (company_id, name)
      )`);
    // Bumped on every policy change, so each API process can tell cheaply that its compiled
    // policy set is stale.
    await q.query(`ALTER TABLE companies ADD COLUMN policy_version bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE companies DROP COLUMN policy_version`);
    await q.query(`DROP TABLE policies`);
  }
}
