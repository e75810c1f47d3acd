import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables of the `local` secret store driver: per-company wrapped data keys, secrets, versions. */
export class LocalStore1732870100000 implements MigrationInterface {
  name = 'LocalStore1732870100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE local_store_keys (
        company_id uuid PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
        wrapped_key bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE local_store_secrets (
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        name text NOT NULL,
        current_version_id text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (company_id, name)
      )`);
    await q.query(`
      CREATE TABLE local_store_versions (
        company_id uuid NOT NULL,
        name text NOT NULL,
        version_id text NOT NULL,
        seq int NOT NULL,
        ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (company_id, name, version_id),
        -- Versions are numbered per secret; the unique key also rejects two writers picking one seq.
        UNIQUE (company_id, name, seq),
        FOREIGN KEY (company_id, name) REFERENCES local_store_secrets (company_id, name) ON DELETE CASCADE
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE local_store_versions, local_store_secrets, local_store_keys`);
  }
}
