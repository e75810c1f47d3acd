import type { MigrationInterface, QueryRunner } from 'typeorm';

export class TokenLineage1732870790000 implements MigrationInterface {
  name = 'TokenLineage1732870790000';

  async up(q: QueryRunner): Promise<void> {
    // The token that minted a token: revoking a token revokes what it minted, and a child never
    // outlives its parent's expiry. The creating user (`created_by`) is kept until the user is
    // removed, when their tokens are revoked first.
    await q.query(`ALTER TABLE service_tokens ADD COLUMN created_by_token uuid REFERENCES service_tokens(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX service_tokens_created_by_token_idx ON service_tokens (created_by_token) WHERE created_by_token IS NOT NULL`);
    await q.query(`CREATE INDEX service_tokens_created_by_idx ON service_tokens (created_by) WHERE created_by IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE service_tokens DROP COLUMN created_by_token`);
    await q.query(`DROP INDEX IF EXISTS service_tokens_created_by_idx`);
  }
}
