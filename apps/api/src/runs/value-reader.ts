import {
  allowedEvent,
  ForbiddenError,
  isStoreError,
  UnavailableError,
  type AuditPrecondition,
  type AuditService,
  type Principal,
  type RequestContext,
  type SecretRow,
  type SecretStore,
} from '@nembl/core';
import type { AuthzService } from '../authz/authz-service.js';
import { secretResource } from '../secrets/secret-types.js';
import type { ValueCache } from './value-cache.js';

/** What reading a value needs to know of its secret. */
export type SecretForRead = Pick<SecretRow, 'id' | 'companyId' | 'name' | 'type' | 'tags' | 'status' | 'deletedAt'>;

export interface ValueRequest {
  secret: SecretForRead;
  version: number;
  storeVersionId: string;
}

/**
 * The one way a value leaves Nembl: only to service tokens, only with `secrets:read_value`,
 * fetched from the store (or the version cache) in parallel, and only after its audit events
 * are committed to Postgres — no audit, no value.
 */
export const valueReaderFactory = (deps: {
  store: SecretStore;
  cache: ValueCache;
  authz: AuthzService;
  audit: Pick<AuditService, 'recordDurable'>;
  now: () => Date;
}) => {
  /** The values, once their audit events are committed; null when `precondition` failed (nothing written). */
  const fetchAndAudit = async (
    p: Principal,
    items: ValueRequest[],
    action: string,
    purpose: string,
    ctx: RequestContext,
    precondition?: AuditPrecondition,
  ): Promise<Map<string, string> | null> => {
    const values = new Map<string, string>();
    const fetched: ValueRequest[] = [];
    try {
      await Promise.all(
        items.map(async (item) => {
          const { secret, storeVersionId } = item;
          let value = deps.cache.get(secret.companyId, secret.name, storeVersionId);
          if (value === undefined) {
            value = (await deps.store.getValue({ companyId: secret.companyId, name: secret.name, versionId: storeVersionId })).value;
            fetched.push(item);
          }
          values.set(secret.name, value);
        }),
      );
    } catch (err) {
      // Read for a cache's answer: the store may say what the cache missed (a version gone with a
      // deleted secret), so resolve afresh, which answers that (or this 503 if the store is down).
      if (precondition) return null;
      // Nothing of a failed resolution is cached or returned; the message names no value.
      throw new UnavailableError(
        `The secret store is unavailable (${isStoreError(err) ? err.code : 'error'}); try again shortly`,
        5,
      );
    }
    let written: boolean;
    // One instant for the events of one read (and fewer fields per event in the outbox row).
    const at = deps.now();
    try {
      written = await deps.audit.recordDurable(
        items.map((item) =>
          allowedEvent(p, action, { kind: 'secret', name: item.secret.name }, ctx, at, { reason: `${purpose} version=${item.version}` }),
        ),
        precondition,
      );
    } catch {
      throw new UnavailableError('The audit log could not be written, so no value is returned; try again shortly', 5);
    }
    if (!written) return null;
    for (const { secret, storeVersionId } of fetched) deps.cache.set(secret.companyId, secret.name, storeVersionId, values.get(secret.name)!);
    return values;
  };

  const assertToken = (p: Principal) => {
    if (p.type !== 'token') {
      throw new ForbiddenError('Secret values are for machines only: call this with a service token', {
        extra: { action: 'secrets:read_value' },
      });
    }
  };

  return {
    /** Values handed to the caller: service tokens with `secrets:read_value` only. */
    read: async (p: Principal, items: ValueRequest[], purpose: string, ctx: RequestContext): Promise<Map<string, string>> => {
      assertToken(p);
      // One compiled check per reference; only a denial goes back through `require` (to audit and explain it).
      const mayReadValue = await deps.authz.authorizer(p, 'secrets:read_value');
      for (const item of items) {
        if (mayReadValue(secretResource(item.secret)).decision !== 'allow') {
          try {
            await deps.authz.require({ principal: p, action: 'secrets:read_value', resource: secretResource(item.secret) }, ctx);
          } catch (err) {
            // Say which secret: a runner resolving many references needs to know which one to ask for.
            if (err instanceof ForbiddenError) {
              throw new ForbiddenError(`${err.message} (secret ${item.secret.name})`, { extra: { ...err.extra, secret: item.secret.name } });
            }
            throw err;
          }
        }
      }
      return (await fetchAndAudit(p, items, 'secrets:read_value', purpose, ctx))!;
    },

    /**
     * `read` for secrets as a cache holds them (with their row stamps): null, with nothing audited
     * and nothing returned, unless every one is allowed and the run and the secrets' rows are
     * still as read when the audit events are written (checked in their statement). The caller
     * then resolves afresh, which also audits and explains a denial.
     */
    readIfUnchanged: async (
      p: Principal,
      items: Array<ValueRequest & { stamp: string }>,
      runId: string,
      purpose: string,
      ctx: RequestContext,
    ): Promise<Map<string, string> | null> => {
      assertToken(p);
      const mayReadValue = await deps.authz.authorizer(p, 'secrets:read_value');
      if (items.some((item) => mayReadValue(secretResource(item.secret)).decision !== 'allow')) return null;
      return fetchAndAudit(p, items, 'secrets:read_value', purpose, ctx, {
        companyId: p.companyId,
        runId,
        runLiveAt: deps.now().toISOString(),
        secrets: items.map((item) => ({ id: item.secret.id, stamp: item.stamp })),
      });
    },

    /**
     * A value used inside Nembl on the caller's behalf (a connector test call) and never handed
     * to the caller; the caller must already hold `secrets:use`. Audited like a read.
     */
    readForUse: async (p: Principal, item: ValueRequest, purpose: string, ctx: RequestContext): Promise<string> =>
      (await fetchAndAudit(p, [item], 'secrets:use', purpose, ctx))!.get(item.secret.name)!,
  };
};

export type ValueReader = ReturnType<typeof valueReaderFactory>;
