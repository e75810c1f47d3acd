import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Bindings1732870500000 implements MigrationInterface {
  name = 'Bindings1732870500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE connectors (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        name text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('github','slack','jira','http')),
        config jsonb NOT NULL DEFAULT '{}',
        auth_secret text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (company_id, name)
      )`);
    await q.query(`
      CREATE TABLE workflows (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        name text NOT NULL,
        phases jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (company_id, name)
      )`);
    // Who references which secret, by name (a re-created secret keeps its references), kept in
    // step with connectors and workflows so reads never scan them.
    await q.query(`
      CREATE TABLE secret_bindings (
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        secret_name text NOT NULL,
        resource_kind text NOT NULL CHECK (resource_kind IN ('connector','workflow_phase')),
        resource_id uuid NOT NULL,
        resource_name text NOT NULL,
        detail text NOT NULL,
        PRIMARY KEY (company_id, secret_name, resource_kind, resource_id, detail)
      )`);
    await q.query(`CREATE INDEX secret_bindings_resource_idx ON secret_bindings (resource_id)`);
    await q.query(`
      CREATE TABLE runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_id uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
        workflow_id uuid NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        status text NOT NULL DEFAULT 'running',
        phases jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        actor jsonb NOT NULL
      )`);
    await q.query(`CREATE INDEX runs_company_idx ON runs (company_id, created_at DESC)`);
    // A run keeps the phases it started with, and the versions it saw first; later resolutions in the run get the same ones.
    await q.query(`
      CREATE TABLE run_pins (
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        secret_name text NOT NULL,
        secret_id uuid NOT NULL,
        version integer NOT NULL,
        store_version_id text NOT NULL,
        pinned_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, secret_name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE run_pins, runs, secret_bindings, workflows, connectors`);
  }
}
