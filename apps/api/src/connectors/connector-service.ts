import type { BlockList } from 'node:net';
import {
  allowedEvent,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type AuditService,
  type Principal,
  type RequestContext,
} from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuthzService } from '../authz/authz-service.js';
import type { BindingRepository } from '../bindings/binding-repository.js';
import { deletedSecretError, hiddenSecretError, type SecretReferenceService } from '../bindings/secret-reference-service.js';
import { parseInput } from '../http/validate.js';
import type { SecretRepository } from '../secrets/secret-repository.js';
import { secretResource } from '../secrets/secret-types.js';
import type { ValueReader } from '../runs/value-reader.js';
import type { ConnectorRepository } from './connector-repository.js';
import { configSchemas, effectiveBaseUrl, testRequestFor, type ConnectorConfig, type ConnectorKind, type ConnectorRow } from './connector-types.js';
import { assertTargetAllowed, BlockedTargetError, callOnce } from './outbound-http.js';

export interface ConnectorServiceDeps {
  dataSource: DataSource;
  connectors: ConnectorRepository;
  bindings: Pick<BindingRepository, 'replaceFor'>;
  references: SecretReferenceService;
  secrets: Pick<SecretRepository, 'currentVersion'>;
  values: ValueReader;
  authz: AuthzService;
  audit: Pick<AuditService, 'record'>;
  blockList: BlockList;
  /** Overall deadline of a connector test call, connect to last byte. */
  testTimeoutMs: number;
  /** How much of a test call's response is read before it is answered. */
  testMaxResponseBytes: number;
  now: () => Date;
}

const resourceOf = (c: Pick<ConnectorRow, 'name'>) => ({ kind: 'connector' as const, name: c.name });

/** Values go to machines only: a cookie session is refused first, Admin included. */
export const assertMachine = (p: Principal): void => {
  if (p.type !== 'token') {
    throw new ForbiddenError('Secret values are for machines only: call this with a service token', {
      extra: { action: 'secrets:read_value' },
    });
  }
};

export const connectorServiceFactory = (deps: ConnectorServiceDeps) => {
  const { dataSource, connectors, authz, references } = deps;

  const bind = (em: EntityManager, c: ConnectorRow) =>
    deps.bindings.replaceFor(em, c.companyId, c.id, [
      { secretName: c.authSecret, kind: 'connector', resourceId: c.id, resourceName: c.name, detail: `${c.kind} connector authentication` },
    ]);

  const audited = (em: EntityManager, p: Principal, action: string, c: ConnectorRow, ctx: RequestContext) =>
    deps.audit.record(allowedEvent(p, action, { kind: 'connector', name: c.name, id: c.id }, ctx, deps.now()), em);

  const get = async (p: Principal, id: string): Promise<ConnectorRow> => {
    const c = await connectors.find(p.companyId, id);
    if (!c) throw new NotFoundError('No such connector');
    return c;
  };

  /**
   * The live secret a connector authenticates with, or 422 naming it (and when it was deleted) —
   * named only to a caller who may read a secret of that name; to others it is a hidden reference.
   */
  const authSecretOf = async (p: Principal, c: ConnectorRow) => {
    const live = (await references.liveSecrets(c.companyId, [c.authSecret])).get(c.authSecret);
    if (!live || live.status !== 'active') {
      const mayRead = await authz.authorizer(p, 'secrets:read');
      if (mayRead(live ? secretResource(live) : { kind: 'secret', name: c.authSecret }).decision !== 'allow') throw hiddenSecretError('authSecret');
      const deletedAt = (await references.lastDeletion(c.companyId, [c.authSecret])).get(c.authSecret) ?? null;
      throw deletedSecretError(c.authSecret, deletedAt, 'authSecret');
    }
    const current = await deps.secrets.currentVersion(live.id);
    if (!current) throw deletedSecretError(c.authSecret, null, 'authSecret');
    return { secret: live, ...current };
  };

  return {
    get,

    create: async (
      p: Principal,
      input: { name: string; kind: ConnectorKind; config: ConnectorConfig; authSecret: string },
      ctx: RequestContext,
    ): Promise<ConnectorRow> => {
      await authz.require({ principal: p, action: 'connectors:create', resource: resourceOf(input) }, ctx);
      const url = effectiveBaseUrl(input);
      if (url) await assertTargetAllowed(url, deps.blockList);
      await references.assertUsable(p, [{ name: input.authSecret, path: 'authSecret' }], ctx);
      return dataSource.transaction(async (em) => {
        const c = await connectors.insert(em, p.companyId, input);
        await bind(em, c);
        await audited(em, p, 'connectors:create', c, ctx);
        return c;
      });
    },

    /** `secrets:use` is checked again whenever the secret, the kind or the target changes. */
    update: async (
      p: Principal,
      id: string,
      patch: { name?: string | undefined; kind?: ConnectorKind | undefined; config?: Record<string, unknown> | undefined; authSecret?: string | undefined },
      ctx: RequestContext,
    ): Promise<ConnectorRow> => {
      const current = await get(p, id);
      await authz.require({ principal: p, action: 'connectors:update', resource: resourceOf(current) }, ctx);
      const kind = patch.kind ?? current.kind;
      const config = parseInput(configSchemas[kind], patch.config ?? (patch.kind ? {} : current.config), 'config');
      const next: ConnectorRow = { ...current, name: patch.name ?? current.name, kind, config, authSecret: patch.authSecret ?? current.authSecret };
      const targetChanged = effectiveBaseUrl(next) !== effectiveBaseUrl(current);
      if (targetChanged && effectiveBaseUrl(next)) await assertTargetAllowed(effectiveBaseUrl(next)!, deps.blockList);
      if (next.authSecret !== current.authSecret || kind !== current.kind || targetChanged) {
        await references.assertUsable(p, [{ name: next.authSecret, path: 'authSecret', named: patch.authSecret !== undefined }], ctx);
      }
      return dataSource.transaction(async (em) => {
        const saved = await connectors.update(em, next);
        await bind(em, saved);
        await audited(em, p, 'connectors:update', saved, ctx);
        return saved;
      });
    },

    remove: async (p: Principal, id: string, ctx: RequestContext): Promise<void> => {
      const current = await get(p, id);
      await authz.require({ principal: p, action: 'connectors:delete', resource: resourceOf(current) }, ctx);
      await dataSource.transaction(async (em) => {
        await deps.bindings.replaceFor(em, p.companyId, current.id, []);
        await connectors.remove(em, p.companyId, id);
        await audited(em, p, 'connectors:delete', current, ctx);
      });
    },

    /**
     * Calls the external API once with the secret injected. Needs `connectors:read` and
     * `secrets:use` (the call hands the credential to the connector's target). The value is
     * read in-process; it is never returned or logged.
     */
    test: async (p: Principal, id: string, ctx: RequestContext) => {
      const c = await get(p, id);
      await authz.require({ principal: p, action: 'connectors:read', resource: resourceOf(c) }, ctx);
      const auth = await authSecretOf(p, c);
      await authz.require({ principal: p, action: 'secrets:use', resource: { kind: 'secret', name: auth.secret.name, secretType: auth.secret.type, tags: auth.secret.tags } }, ctx);
      const url = effectiveBaseUrl(c);
      if (!url) throw ValidationError.field('config.baseUrl', 'is required for this kind');
      const value = await deps.values.readForUse(p, auth, `connector-test:${c.id}`, ctx);
      try {
        const result = await callOnce(testRequestFor(c, value), {
          blockList: deps.blockList,
          timeoutMs: deps.testTimeoutMs,
          maxResponseBytes: deps.testMaxResponseBytes,
        });
        return { ok: result.status >= 200 && result.status < 300, status: result.status, latencyMs: result.latencyMs };
      } catch (err) {
        if (err instanceof BlockedTargetError) throw err;
        const cause = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        return { ok: false, status: 0, latencyMs: 0, error: `could not reach ${new URL(url).host}: ${cause}` };
      }
    },

    /** Connector runtime: `{ value, version }`, service tokens only, audited before returning. */
    credentials: async (p: Principal, id: string, ctx: RequestContext) => {
      assertMachine(p);
      const c = await get(p, id);
      await authz.require({ principal: p, action: 'connectors:read', resource: resourceOf(c) }, ctx);
      const auth = await authSecretOf(p, c);
      const values = await deps.values.read(p, [auth], `connector:${c.id}`, ctx);
      return { value: values.get(auth.secret.name)!, version: auth.version };
    },
  };
};

export type ConnectorService = ReturnType<typeof connectorServiceFactory>;
