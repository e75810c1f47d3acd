import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OperationLease1732871100000 implements MigrationInterface {
  name = 'OperationLease1732871100000';

  async up(q: QueryRunner): Promise<void> {
    // A running operation is claimed until its lease runs out; the worker applying it keeps
    // extending it. An expired lease means its worker is gone: the outbox relay may hand the
    // operation to another one (the client token keeps the re-run idempotent).
    await q.query(`ALTER TABLE operations ADD COLUMN lease_until timestamptz`);
    // Operations left running by an older worker are treated as already expired.
    await q.query(`UPDATE operations SET lease_until = now() WHERE status = 'running'`);
    await q.query(`CREATE INDEX operations_lease_idx ON operations (lease_until) WHERE status = 'running'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX operations_lease_idx`);
    await q.query(`ALTER TABLE operations DROP COLUMN lease_until`);
  }
}
