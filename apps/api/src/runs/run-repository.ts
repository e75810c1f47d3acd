import { preparedQuery, secretRowStamp, type AuditActor, type SecretRow } from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import type { WorkflowRow } from '../workflows/workflow-types.js';
import type { SecretForRead } from './value-reader.js';

/** A `runs` row. */
export interface RunRow {
  id: string;
  companyId: string;
  workflowId: string;
  status: string;
  phases: WorkflowRow['phases'];
  createdAt: Date;
  expiresAt: Date;
}

/** A `run_pins` row (the version a run resolves for a secret), with the secret it names. */
export interface PinRow {
  secretName: string;
  secretId: string;
  version: number;
  storeVersionId: string;
  /** Tombstones included: a pinned secret deleted since is reported by its deletion. */
  secret: SecretForRead;
  /** The secret row as read (`secretRowStamp`), so a decision made on it can be re-checked later. */
  secretStamp: string;
}

const runFromSql = (r: Record<string, unknown>): RunRow => ({
  id: r.id as string,
  companyId: r.company_id as string,
  workflowId: r.workflow_id as string,
  status: r.status as string,
  phases: r.phases as RunRow['phases'],
  createdAt: r.created_at as Date,
  expiresAt: r.expires_at as Date,
});

interface PinSql {
  secret_name: string;
  secret_id: string;
  version: number;
  store_version_id: string;
  secret_stamp: string;
  secret: {
    id: string;
    company_id: string;
    name: string;
    type: SecretRow['type'];
    tags: Record<string, string>;
    status: SecretRow['status'];
    deleted_at: string | null;
  };
}

const pinFromSql = (r: PinSql): PinRow => ({
  secretName: r.secret_name,
  secretId: r.secret_id,
  version: r.version,
  storeVersionId: r.store_version_id,
  secretStamp: r.secret_stamp,
  secret: {
    id: r.secret.id,
    companyId: r.secret.company_id,
    name: r.secret.name,
    type: r.secret.type,
    tags: r.secret.tags,
    status: r.secret.status,
    deletedAt: r.secret.deleted_at ? new Date(r.secret.deleted_at) : null,
  },
});

const pinMap = (rows: PinSql[]): Map<string, PinRow> => new Map(rows.map((r) => [r.secret_name, pinFromSql(r)]));

// Only the columns a value read needs: this runs on every resolution.
const SECRET_FOR_READ = `jsonb_build_object('id', s.id, 'company_id', s.company_id, 'name', s.name, 'type', s.type, 'tags', s.tags,
                                            'status', s.status, 'deleted_at', s.deleted_at)`;
const SECRET_STAMP = secretRowStamp('s');

/** Workflow runs and the secret versions each has pinned. */
export const runRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => {
  const prepared = preparedQuery(dataSource);
  return {
    insert: async (
      em: EntityManager,
      run: {
        companyId: string;
        workflowId: string;
        phases: RunRow['phases'];
        createdAt: Date;
        expiresAt: Date;
        actor: AuditActor;
      },
    ): Promise<RunRow> => {
      const rows = await em.query(
        `INSERT INTO runs (company_id, workflow_id, phases, created_at, expires_at, actor) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [
          run.companyId,
          run.workflowId,
          JSON.stringify(run.phases),
          run.createdAt,
          run.expiresAt,
          JSON.stringify(run.actor),
        ],
      );
      return runFromSql(rows[0]);
    },

    /** The run and every pin it holds so far, in one prepared statement (the hot path of a resolution). */
    findWithPins: async (companyId: string, id: string): Promise<{ run: RunRow; pins: Map<string, PinRow> } | null> => {
      const rows = await prepared<Record<string, unknown> & { pins: PinSql[] }>(
        'run-with-pins',
        `SELECT r.*, COALESCE((
            SELECT jsonb_agg(jsonb_build_object('secret_name', p.secret_name, 'secret_id', p.secret_id, 'version', p.version,
                                                'store_version_id', p.store_version_id, 'secret_stamp', ${SECRET_STAMP},
                                                'secret', ${SECRET_FOR_READ}))
              FROM run_pins p JOIN secrets s ON s.id = p.secret_id WHERE p.run_id = r.id), '[]'::jsonb) AS pins
           FROM runs r WHERE r.company_id = $1 AND r.id = $2`,
        [companyId, id],
      );
      const row = rows[0];
      return row ? { run: runFromSql(row), pins: pinMap(row.pins) } : null;
    },

    /** The run's pins for `names`, each with its secret (tombstones included). */
    pins: async (runId: string, names: string[]): Promise<Map<string, PinRow>> =>
      pinMap(
        await dataSource.query(
          `SELECT p.secret_name, p.secret_id, p.version, p.store_version_id, ${SECRET_STAMP} AS secret_stamp, ${SECRET_FOR_READ} AS secret
             FROM run_pins p JOIN secrets s ON s.id = p.secret_id
            WHERE p.run_id = $1 AND p.secret_name = ANY($2)`,
          [runId, names],
        ),
      ),

    /** Pins the current version of each named active secret; a concurrent first pin wins (kept as is). */
    pinCurrent: async (runId: string, companyId: string, names: string[]): Promise<void> => {
      await dataSource.query(
        `INSERT INTO run_pins (run_id, secret_name, secret_id, version, store_version_id)
         SELECT $1, s.name, s.id, v.version, v.store_version_id
           FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
          WHERE s.company_id = $2 AND s.name = ANY($3) AND s.status = 'active'
         ON CONFLICT (run_id, secret_name) DO NOTHING`,
        [runId, companyId, names],
      );
    },

    /** Each named active secret at its current version, shaped like a pin (ad-hoc resolution pins nothing). */
    currentVersions: async (companyId: string, names: string[]): Promise<Map<string, PinRow>> =>
      pinMap(
        await dataSource.query(
          `SELECT s.name AS secret_name, s.id AS secret_id, v.version, v.store_version_id, ${SECRET_STAMP} AS secret_stamp,
                  ${SECRET_FOR_READ} AS secret
             FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
            WHERE s.company_id = $1 AND s.name = ANY($2) AND s.status = 'active'`,
          [companyId, names],
        ),
      ),
  };
};

export type RunRepository = ReturnType<typeof runRepositoryFactory>;
