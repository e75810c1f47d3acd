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
} from '@nembl/core';
import type { DataSource } from 'typeorm';
import type { CompanyScopedCache } from '../cache/company-scoped-cache.js';
import type { AuthzService } from '../authz/authz-service.js';
import { deletedSecretError, type SecretReferenceService } from '../bindings/secret-reference-service.js';
import { secretResource } from '../secrets/secret-types.js';
import { assertMachine } from '../connectors/connector-service.js';
import { workflowResource } from '../workflows/workflow-service.js';
import type { WorkflowRepository } from '../workflows/workflow-repository.js';
import type { PinRow, RunRepository, RunRow } from './run-repository.js';
import type { ValueReader, ValueRequest } from './value-reader.js';

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

/** A run with every pin it held when read (`findWithPins`): metadata only, never a value. */
export interface CachedRun {
  run: RunRow;
  pins: Map<string, PinRow>;
}

/**
 * What a cached run counts against the run cache's bound, about its bytes in memory: its phases
 * (up to ~1 MiB of JSON each, so a count bound alone let one tenant fill the heap with 2,000 big
 * runs) and its pins.
 */
export const cachedRunWeight = ({ run, pins }: CachedRun): number => 512 + JSON.stringify(run.phases).length + 512 * pins.size;

/** Keys of the run cache: company ids are uuids (no '/'), so no two companies' keys collide. */
const runKey = (companyId: string, runId: string) => `${companyId}/${runId}`;

/** A pin that resolves nothing: never pinned, or its secret deleted since. */
const isGone = (pin: PinRow | undefined): boolean =>
  !pin || pin.secret.status === 'deleted' || pin.secret.status === 'deleting';

export const runServiceFactory = (deps: {
  dataSource: DataSource;
  runs: RunRepository;
  /**
   * Runs with their pins, per process (companyScopedCacheFactory keyed by `runKey`). Run rows and
   * pins never change once written; what can change (a secret's status or tags, the run deleted
   * with its workflow) is re-checked in the statement of the resolution's own audit write.
   */
  runCache: CompanyScopedCache<CachedRun>;
  workflows: Pick<WorkflowRepository, 'find'>;
  references: SecretReferenceService;
  values: ValueReader;
  authz: AuthzService;
  audit: Pick<AuditService, 'record'>;
  runTtlHours: number;
  now: () => Date;
}) => {
  const { dataSource, runs } = deps;

  /**
   * The versions this run resolves: those it saw first, else the current ones, pinned now.
   * Concurrent first resolutions agree: the insert keeps the first pin, and we read back.
   */
  const pinsFor = async (run: RunRow, names: string[], known: Map<string, PinRow>) => {
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
    await runs.pinCurrent(run.id, run.companyId, unpinned);
    return runs.pins(run.id, names);
  };

  /** Fills `env` from its sources and the values read; `versions` names what each secret variable got. */
  const assemble = (sources: Array<{ key: string; src: EnvSource }>, values: Map<string, string>, pins: Map<string, PinRow>) => {
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

  const referencesOf = (phase: RunRow['phases'][number]) => {
    const sources = Object.entries(phase.env).map(([key, raw]) => ({ key, src: parseEnvSource(raw) as EnvSource }));
    const names = [...new Set(sources.flatMap(({ src }) => (src.kind === 'secret' ? [src.name] : [])))];
    return { sources, names };
  };

  const purposeOf = (run: RunRow, phase: RunRow['phases'][number]) => `run:${run.id} phase:${phase.name}`;

  /** The answer from a cached run, or null when it must be resolved afresh (see `resolve`). */
  const resolveCached = async (p: Principal, { run, pins }: CachedRun, phaseName: string, ctx: RequestContext) => {
    if (run.expiresAt.getTime() <= deps.now().getTime()) return null;
    const phase = run.phases.find((ph) => ph.name === phaseName);
    if (!phase) return null;
    const { sources, names } = referencesOf(phase);
    // A phase of literals only has no audit write to check the run in.
    if (names.length === 0 || names.some((name) => isGone(pins.get(name)))) return null;
    const items = names.map((name) => {
      const pin = pins.get(name)!;
      return { secret: pin.secret, version: pin.version, storeVersionId: pin.storeVersionId, stamp: pin.secretStamp };
    });
    const values = await deps.values.readIfUnchanged(p, items, run.id, purposeOf(run, phase), ctx);
    return values && assemble(sources, values, pins);
  };

  return {
    start: async (p: Principal, workflowId: string, ctx: RequestContext): Promise<RunRow> => {
      const w = await deps.workflows.find(p.companyId, workflowId);
      if (!w) throw new NotFoundError('No such workflow');
      await deps.authz.require({ principal: p, action: 'workflows:run', resource: workflowResource(w) }, ctx);
      const t = deps.now();
      return dataSource.transaction(async (em) => {
        const run = await runs.insert(em, {
          companyId: p.companyId,
          workflowId: w.id,
          phases: w.phases,
          createdAt: t,
          expiresAt: new Date(t.getTime() + deps.runTtlHours * 3_600_000),
          actor: actorOf(p),
        });
        await deps.audit.record(
          allowedEvent(p, 'workflows:run', { kind: 'workflow', name: w.name, id: w.id }, ctx, t, { reason: `run:${run.id}` }),
          em,
        );
        return run;
      });
    },

    /**
     * A phase's environment with its secrets injected, at the versions pinned for this run. A run
     * in the cache costs one Postgres round trip, its audit write, which also checks that nothing
     * the cache answered has changed; anything else (a change, a denial, an unpinned name, an
     * error to explain) is resolved afresh from Postgres, as without the cache.
     */
    resolve: async (p: Principal, runId: string, phaseName: string, ctx: RequestContext) => {
      assertMachine(p);
      const key = runKey(p.companyId, runId);
      const hit = deps.runCache.get(key, deps.now().getTime());
      if (hit) {
        const answer = await resolveCached(p, hit, phaseName, ctx);
        if (answer) return answer;
        deps.runCache.forget(key);
      }
      const seen = deps.runCache.generation();
      // The entry's lifetime counts from before the read (as cachedFindDetail's).
      const startedAt = deps.now().getTime();
      const found = await runs.findWithPins(p.companyId, runId);
      if (!found) throw new NotFoundError('No such run');
      const { run, pins: known } = found;
      if (run.expiresAt.getTime() <= deps.now().getTime()) {
        throw new GoneError(`Run ${run.id} expired at ${run.expiresAt.toISOString()}; start a new run`);
      }
      const phase = run.phases.find((ph) => ph.name === phaseName);
      if (!phase) throw new NotFoundError(`Run ${run.id} has no phase named ${phaseName}`);
      const { sources, names } = referencesOf(phase);
      const pins = names.length > 0 ? await pinsFor(run, names, known) : new Map<string, PinRow>();
      deps.runCache.set(p.companyId, key, { run, pins: new Map([...known, ...pins]) }, seen, startedAt);
      // A pinned secret deleted since is gone for this run too.
      const items: ValueRequest[] = names.map((name) => {
        const pin = pins.get(name);
        if (isGone(pin)) throw deletedSecretError(name, pin?.secret.deletedAt ?? null);
        return { secret: pin!.secret, version: pin!.version, storeVersionId: pin!.storeVersionId };
      });

      const values = await deps.values.read(p, items, purposeOf(run, phase), ctx);
      return assemble(sources, values, pins);
    },

    /**
     * Ad-hoc references (`nembl run --env`), resolved like a phase but at the current versions.
     * A secret the caller may not `secrets:read` counts as missing, so existence is not revealed.
     */
    resolveAdHoc: async (p: Principal, env: Record<string, string>, ctx: RequestContext) => {
      assertMachine(p);
      const sources = Object.entries(env).map(([key, raw]) => ({ key, src: parseEnvSource(raw) as EnvSource }));
      const names = [...new Set(sources.flatMap(({ src }) => (src.kind === 'secret' ? [src.name] : [])))];
      const current = names.length > 0 ? await runs.currentVersions(p.companyId, names) : new Map<string, PinRow>();
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
