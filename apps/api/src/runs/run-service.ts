import { z } from 'zod';
import { dateTimeOut, idOut } from '../http/response-schemas.js';
import {
  actorOf,
  allowedEvent,
  GoneError,
  NotFoundError,
  parseEnvSource,
  type EnvSource,
  type AuditService,
  type Principal,
  type RequestContext,
  type SecretRow,
} from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { AuthzService } from '../authz/authz-service.js';
import { deletedSecretError, type SecretReferenceService } from '../bindings/secret-reference-service.js';
import { secretResource } from '../secrets/secret-types.js';
import { assertMachine } from '../connectors/connector-service.js';
import { workflowResource } from '../workflows/workflow-service.js';
import type { WorkflowRepository } from '../workflows/workflow-repository.js';
import type { WorkflowRow } from '../workflows/workflow-types.js';
import type { SecretForRead, ValueReader, ValueRequest } from './value-reader.js';

export interface RunRow {
  id: string;
  companyId: string;
  workflowId: string;
  status: string;
  phases: WorkflowRow['phases'];
  createdAt: Date;
  expiresAt: Date;
}

export const runSchema = z
  .object({
    id: idOut,
    workflowId: idOut,
    status: z.string(),
    createdAt: dateTimeOut,
    expiresAt: dateTimeOut.meta({ description: 'After NEMBL_RUN_TTL_HOURS; resolving env later → 410.' }),
  })
  .meta({ id: 'Run' });

export const runEnvelopeSchema = z.object({ run: runSchema });

export const runEnvSchema = z
  .object({
    env: z.record(z.string(), z.string()).meta({ description: 'Variable name → value (secret values included).' }),
    versions: z
      .record(z.string(), z.object({ secret: z.string(), version: z.int() }))
      .meta({ description: 'Variable name → the secret version injected; the same for every call within one run.' }),
  })
  .meta({ id: 'RunEnv', description: 'One of the responses that carry secret values; service tokens only.' });

export const runJson = (r: RunRow): z.infer<typeof runSchema> => ({
  id: r.id,
  workflowId: r.workflowId,
  status: r.status,
  createdAt: r.createdAt.toISOString(),
  expiresAt: r.expiresAt.toISOString(),
});

const runFromSql = (r: Record<string, unknown>): RunRow => ({
  id: r.id as string,
  companyId: r.company_id as string,
  workflowId: r.workflow_id as string,
  status: r.status as string,
  phases: r.phases as RunRow['phases'],
  createdAt: r.created_at as Date,
  expiresAt: r.expires_at as Date,
});

interface Pin {
  secretName: string;
  secretId: string;
  version: number;
  storeVersionId: string;
}

export const runServiceFactory = (deps: {
  dataSource: DataSource;
  workflows: Pick<WorkflowRepository, 'find'>;
  references: SecretReferenceService;
  values: ValueReader;
  authz: AuthzService;
  audit: Pick<AuditService, 'record'>;
  runTtlHours: number;
  now: () => Date;
}) => {
  const { dataSource } = deps;

  type PinWithSecret = Pin & { secret: SecretForRead };
  type PinSql = {
    secret_name: string;
    secret_id: string;
    version: number;
    store_version_id: string;
    secret: { id: string; company_id: string; name: string; type: SecretRow['type']; tags: Record<string, string>; status: SecretRow['status']; deleted_at: string | null };
  };
  const pinFromSql = (r: PinSql): PinWithSecret => ({
    secretName: r.secret_name,
    secretId: r.secret_id,
    version: r.version,
    storeVersionId: r.store_version_id,
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
  // Only the columns a read needs: this runs on every resolution.
  const SECRET_FOR_READ = `jsonb_build_object('id', s.id, 'company_id', s.company_id, 'name', s.name, 'type', s.type, 'tags', s.tags,
                                                 'status', s.status, 'deleted_at', s.deleted_at)`;

  /** The run's pins for `names`, each with its secret row (tombstones included), in one query. */
  const readPins = async (runId: string, names: string[]): Promise<Map<string, PinWithSecret>> => {
    const rows: PinSql[] = await dataSource.query(
      `SELECT p.secret_name, p.secret_id, p.version, p.store_version_id, ${SECRET_FOR_READ} AS secret
         FROM run_pins p JOIN secrets s ON s.id = p.secret_id
        WHERE p.run_id = $1 AND p.secret_name = ANY($2)`,
      [runId, names],
    );
    return new Map(rows.map((r) => [r.secret_name, pinFromSql(r)]));
  };

  /**
   * The versions this run resolves: those it saw first, else the current ones, pinned now.
   * Concurrent first resolutions agree: the insert keeps the first pin, and we read back.
   */
  const pinsFor = async (run: RunRow, names: string[], known: Map<string, PinWithSecret>) => {
    const pins = new Map([...known].filter(([name]) => names.includes(name)));
    const unpinned = names.filter((n) => !pins.has(n));
    if (unpinned.length === 0) return pins;
    const live = await deps.references.liveSecrets(run.companyId, unpinned);
    for (const name of unpinned) {
      const s = live.get(name);
      if (!s || s.status !== 'active') {
        const deletedAt = (await deps.references.lastDeletion(run.companyId, [name])).get(name) ?? null;
        throw deletedSecretError(name, deletedAt);
      }
    }
    await dataSource.query(
      `INSERT INTO run_pins (run_id, secret_name, secret_id, version, store_version_id)
       SELECT $1, s.name, s.id, v.version, v.store_version_id
         FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
        WHERE s.company_id = $2 AND s.name = ANY($3) AND s.status = 'active'
       ON CONFLICT (run_id, secret_name) DO NOTHING`,
      [run.id, run.companyId, unpinned],
    );
    return readPins(run.id, names);
  };

  /** The run and every pin it holds so far, in one round trip (the hot path of a resolution). */
  const getRunWithPins = async (p: Principal, id: string): Promise<{ run: RunRow; pins: Map<string, PinWithSecret> }> => {
    const rows: Array<Record<string, unknown> & { pins: PinSql[] }> = await dataSource.query(
      `SELECT r.*, COALESCE((
          SELECT jsonb_agg(jsonb_build_object('secret_name', p.secret_name, 'secret_id', p.secret_id, 'version', p.version,
                                              'store_version_id', p.store_version_id, 'secret', ${SECRET_FOR_READ}))
            FROM run_pins p JOIN secrets s ON s.id = p.secret_id WHERE p.run_id = r.id), '[]'::jsonb) AS pins
         FROM runs r WHERE r.company_id = $1 AND r.id = $2`,
      [p.companyId, id],
    );
    const row = rows[0];
    if (!row) throw new NotFoundError('No such run');
    return { run: runFromSql(row), pins: new Map(row.pins.map((r) => [r.secret_name, pinFromSql(r)])) };
  };

  /** Each named secret's current version, for an ad-hoc resolution (no run, so nothing pinned). */
  const currentVersions = async (companyId: string, names: string[]): Promise<Map<string, PinWithSecret>> => {
    const rows: PinSql[] = await dataSource.query(
      `SELECT s.name AS secret_name, s.id AS secret_id, v.version, v.store_version_id, ${SECRET_FOR_READ} AS secret
         FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.version
        WHERE s.company_id = $1 AND s.name = ANY($2) AND s.status = 'active'`,
      [companyId, names],
    );
    return new Map(rows.map((r) => [r.secret_name, pinFromSql(r)]));
  };

  /** Fills `env` from its sources and the values read; `versions` names what each secret variable got. */
  const assemble = (sources: Array<{ key: string; src: EnvSource }>, values: Map<string, string>, pins: Map<string, Pin>) => {
    const env: Record<string, string> = {};
    const versions: Record<string, { secret: string; version: number }> = {};
    for (const { key, src } of sources) {
      if (src.kind === 'literal') env[key] = src.value;
      else {
        env[key] = values.get(src.name)!;
        versions[key] = { secret: src.name, version: pins.get(src.name)!.version };
      }
    }
    return { env, versions };
  };

  return {
    start: async (p: Principal, workflowId: string, ctx: RequestContext): Promise<RunRow> => {
      const w = await deps.workflows.find(p.companyId, workflowId);
      if (!w) throw new NotFoundError('No such workflow');
      await deps.authz.require({ principal: p, action: 'workflows:run', resource: workflowResource(w) }, ctx);
      const t = deps.now();
      return dataSource.transaction(async (em) => {
        const rows = await em.query(
          `INSERT INTO runs (company_id, workflow_id, phases, created_at, expires_at, actor) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
          [p.companyId, w.id, JSON.stringify(w.phases), t, new Date(t.getTime() + deps.runTtlHours * 3_600_000), JSON.stringify(actorOf(p))],
        );
        const run = runFromSql(rows[0]);
        await deps.audit.record(
          allowedEvent(p, 'workflows:run', { kind: 'workflow', name: w.name, id: w.id }, ctx, t, { reason: `run:${run.id}` }),
          em,
        );
        return run;
      });
    },

    /** A phase's environment with its secrets injected, at the versions pinned for this run. */
    resolve: async (p: Principal, runId: string, phaseName: string, ctx: RequestContext) => {
      assertMachine(p);
      const { run, pins: known } = await getRunWithPins(p, runId);
      if (run.expiresAt.getTime() <= deps.now().getTime()) {
        throw new GoneError(`Run ${run.id} expired at ${run.expiresAt.toISOString()}; start a new run`);
      }
      const phase = run.phases.find((ph) => ph.name === phaseName);
      if (!phase) throw new NotFoundError(`Run ${run.id} has no phase named ${phaseName}`);
      const sources = Object.entries(phase.env).map(([key, raw]) => ({ key, src: parseEnvSource(raw) }));
      const names = [...new Set(sources.flatMap(({ src }) => (src.kind === 'secret' ? [src.name] : [])))];
      const pins = names.length > 0 ? await pinsFor(run, names, known) : new Map<string, PinWithSecret>();
      // A pinned secret deleted since is gone for this run too.
      const items: ValueRequest[] = names.map((name) => {
        const pin = pins.get(name);
        if (!pin || pin.secret.status === 'deleted' || pin.secret.status === 'deleting') throw deletedSecretError(name, pin?.secret.deletedAt ?? null);
        return { secret: pin.secret, version: pin.version, storeVersionId: pin.storeVersionId };
      });

      const values = await deps.values.read(p, items, `run:${run.id} phase:${phase.name}`, ctx);
      return assemble(sources as Array<{ key: string; src: EnvSource }>, values, pins);
    },

    /**
     * Ad-hoc references (`nembl run --env`), resolved like a phase but at the current versions.
     * A secret the caller may not `secrets:read` counts as missing, so existence is not revealed.
     */
    resolveAdHoc: async (p: Principal, env: Record<string, string>, ctx: RequestContext) => {
      assertMachine(p);
      const sources = Object.entries(env).map(([key, raw]) => ({ key, src: parseEnvSource(raw) as EnvSource }));
      const names = [...new Set(sources.flatMap(({ src }) => (src.kind === 'secret' ? [src.name] : [])))];
      const current = names.length > 0 ? await currentVersions(p.companyId, names) : new Map<string, PinWithSecret>();
      const mayRead = await deps.authz.authorizer(p, 'secrets:read');
      for (const { key, src } of sources) {
        if (src.kind !== 'secret') continue;
        const pin = current.get(src.name);
        if (!pin || mayRead(secretResource(pin.secret)).decision !== 'allow') {
          const deletedAt = pin ? null : ((await deps.references.lastDeletion(p.companyId, [src.name])).get(src.name) ?? null);
          throw deletedSecretError(src.name, deletedAt, `env.${key}`);
        }
      }
      const items: ValueRequest[] = names.map((name) => {
        const pin = current.get(name)!;
        return { secret: pin.secret, version: pin.version, storeVersionId: pin.storeVersionId };
      });
      const values = await deps.values.read(p, items, 'env:resolve', ctx);
      return assemble(sources, values, current);
    },
  };
};

export type RunService = ReturnType<typeof runServiceFactory>;
