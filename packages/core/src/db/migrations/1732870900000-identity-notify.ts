import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every committed change to who a credential stands for (a user's roles, groups or email, a
 * removed user, a revoked or changed token, an ended session) announces its company on
 * `nembl_identity`. API processes cache authenticated principals for a few seconds and drop a
 * company's entries on this signal. Postgres delivers a NOTIFY only when the transaction
 * commits, so the signal can never run ahead of the change. Touching "last seen/used" is not a
 * change of identity and stays silent, or every active token would flush its company each minute.
 */
export class IdentityNotify1732870900000 implements MigrationInterface {
  name = 'IdentityNotify1732870900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION nembl_identity_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('nembl_identity', OLD.company_id::text);
        RETURN NULL;
      END $$`);
    for (const [table, touched] of [
      ['users', 'updated_at'],
      ['sessions', 'last_seen_at'],
      ['service_tokens', 'last_used_at'],
    ] as const) {
      await q.query(
        `CREATE TRIGGER ${table}_identity_deleted AFTER DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION nembl_identity_changed()`,
      );
      await q.query(
        `CREATE TRIGGER ${table}_identity_updated AFTER UPDATE ON ${table} FOR EACH ROW
           WHEN ((to_jsonb(OLD) - '${touched}') IS DISTINCT FROM (to_jsonb(NEW) - '${touched}'))
           EXECUTE FUNCTION nembl_identity_changed()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['users', 'sessions', 'service_tokens']) {
      await q.query(`DROP TRIGGER IF EXISTS ${table}_identity_deleted ON ${table}`);
      await q.query(`DROP TRIGGER IF EXISTS ${table}_identity_updated ON ${table}`);
    }
    await q.query(`DROP FUNCTION IF EXISTS nembl_identity_changed()`);
  }
}
