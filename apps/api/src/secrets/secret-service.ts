import { randomUUID } from 'node:crypto';
import {
  admitsWrite,
  ConflictError,
  NotFoundError,
  operationWithOutcome,
  secretWithOutcome,
  ValidationError,
  writeConflictMessage,
  type OperationActor,
  type SecretStatus,
  type SecretWrite,
  type OperationRow,
  type OperationSealer,
  type Principal,
  type SecretRow,
  type SecretType,
} from '@nembl/core';
import type { DataSource, EntityManager } from 'typeorm';
import type { AuditService } from '@nembl/core';
import { allowedEvent, type RequestContext } from '@nembl/core';
import { isForeignKeyViolation } from '../http/pg-errors.js';
import { LIST_BUDGET_MS, scanWithinBudget } from '../authz/evaluation-budget.js';
import type { AuthzService } from '../authz/authz-service.js';
import type { OperationQueue } from '../operations/operation-queue.js';
import type { OperationWaiter } from '../operations/operation-waiter.js';
import type {
  Accepted,
  AcceptedOperation,
  NewSecret,
  OperationCursor,
  OperationListFilter,
  SecretListFilter,
  SecretRepository,
  SecretWithRelations,
} from './secret-repository.js';
import type { BoundResourceView } from '../bindings/visibility-fns.js';
import { secretResource, type BoundResource } from './secret-types.js';

export interface SecretServiceDeps {
  dataSource: DataSource;
  secrets: SecretRepository;
  authz: AuthzService;
  audit: Pick<AuditService, 'record'>;
  sealer: OperationSealer;
  queue: Pick<OperationQueue, 'enqueue'>;
  waiter: Pick<OperationWaiter, 'expect'>;
  /** Resources bound to secrets (connectors, workflow phases), as the caller may see them. */
  bindings: (p: Principal, secretIds: string[]) => Promise<Map<string, BoundResourceView[]>>;
  /** The same, for bindings already read with their secrets. */
  presentBindings: (p: Principal, bound: ReadonlyMap<string, readonly BoundResource[]>) => Promise<Map<string, BoundResourceView[]>>;
  /** A secret's value changed or went away: drop cached values (other versions stay keyed apart). */
  onValueChanged: (companyId: string, name: string) => void;
  writeWaitMs: number;
  now: () => Date;
}

type Owner = { id: string; email: string };

export interface WriteResult {
  secret: SecretRow;
  operation: OperationRow;
  /** True when the operation succeeded within the wait window (→ 201/200, else 202). */
  done: boolean;
  /** For the response's secret (not for a delete, which answers the operation only). */
  owners: Owner[];
  bound: BoundResourceView[];
}

const opActor = (p: Principal): OperationActor => ({ type: p.type, id: p.id, label: p.label });

export const secretServiceFactory = (deps: SecretServiceDeps) => {
  const { dataSource, secrets, authz, audit, sealer, now } = deps;

  const allowed = (p: Principal, action: string, name: string, ctx: RequestContext, operationId?: string) =>
    allowedEvent(p, action, { kind: 'secret', name }, ctx, now(), { operationId: operationId ?? null });

  const auditAllowed = (
    em: EntityManager,
    p: Principal,
    action: string,
    name: string,
    ctx: RequestContext,
    operationId?: string,
  ) => audit.record(allowed(p, action, name, ctx, operationId), em);

  /**
   * The secret if it exists and the caller may read its metadata. A secret the caller may not
   * `secrets:read` answers 404 like a missing one: its existence is not revealed.
   */
  const readable = async (p: Principal, name: string, ctx: RequestContext): Promise<SecretRow> => {
    const s = await secrets.findLive(p.companyId, name);
    if (!s) throw new NotFoundError(`No secret named ${name}`);
    const d = await authz.audited({ principal: p, action: 'secrets:read', resource: secretResource(s) }, ctx);
    if (d.decision !== 'allow') throw new NotFoundError(`No secret named ${name}`);
    return s;
  };

  const assertOwners = async (companyId: string, owners: string[]) => {
    const known = await secrets.companyUsers(companyId, owners);
    const errors = owners.flatMap((id, i) =>
      known.has(id) ? [] : [{ path: `owners[${i}]`, message: 'is not a user of this company' }],
    );
    if (errors.length > 0) throw new ValidationError(`${errors[0]!.path}: ${errors[0]!.message}`, { errors });
  };

  /**
   * Runs a write that records `owners`: an owner deleted between the check and the write (the
   * foreign key refuses it) is the same 400 naming that owner as one that never existed.
   */
  const withOwners = async <T>(companyId: string, owners: string[] | undefined, write: () => Promise<T>): Promise<T> => {
    try {
      return await write();
    } catch (err) {
      if (!owners || !isForeignKeyViolation(err, 'secret_owners_user_id_fkey')) throw err;
      await assertOwners(companyId, owners);
      throw new ValidationError('owners: a user was removed meanwhile', { errors: [{ path: 'owners', message: 'a user was removed meanwhile' }] });
    }
  };

  const conflict = (name: string, status: SecretStatus, write: SecretWrite) =>
    new ConflictError(writeConflictMessage(name, status, write));

  /**
   * After commit: hand the operation to the worker and wait briefly for its outcome, which
   * arrives with the notification that wakes us (no second read). `extras` (owners, bindings
   * for the response) is read meanwhile.
   */
  const dispatch = async (
    accepted: Accepted,
    extras: Promise<{ owners: Owner[]; bound: BoundResourceView[] }>,
  ): Promise<WriteResult> => {
    const { secret, operation } = accepted;
    // Expect it before the job exists, so even the fastest worker cannot finish unnoticed.
    const expected = deps.waiter.expect(operation.id);
    const enqueued = await deps.queue.enqueue(operation.id);
    if (!enqueued) expected.cancel();
    const [outcome, extra] = await Promise.all([enqueued ? expected.within(deps.writeWaitMs) : null, extras]);
    if (!outcome) return { secret, operation, done: false, ...extra };
    if (operation.kind !== 'create') deps.onValueChanged(secret.companyId, secret.name);
    const op = operationWithOutcome(operation, outcome);
    return { secret: secretWithOutcome(secret, outcome), operation: op, done: op.status === 'succeeded', ...extra };
  };

  /** Owners and bindings for the response, from what the write already returned where it could. */
  const extrasOf = (p: Principal, secretId: string, known: { owners?: Owner[]; hasBindings?: boolean } = {}) =>
    Promise.all([
      known.owners ?? secrets.owners([secretId]).then((m) => m.get(secretId) ?? []),
      known.hasBindings === false ? [] : deps.bindings(p, [secretId]).then((m) => m.get(secretId) ?? []),
    ]).then(([owners, bound]) => ({ owners, bound }));

  /**
   * A create over a name that is taken, or with owners to explain: the checks in their order
   * (owners 400, name 409), or the takeover of a failed secret, in one transaction.
   */
  const createSlowly = async (
    p: Principal,
    input: NewSecret & { owners: string[] },
    op: AcceptedOperation,
    ctx: RequestContext,
  ): Promise<Accepted> => {
    await assertOwners(p.companyId, input.owners);
    return dataSource.transaction(async (em) => {
      const secret = await secrets.insertPending(em, p.companyId, input);
      await secrets.setOwners(em, secret.id, input.owners);
      const operation = await secrets.insertOperation(em, {
        id: op.id,
        companyId: p.companyId,
        secretId: secret.id,
        secretName: secret.name,
        kind: op.kind,
        sealedPayload: op.sealedPayload,
        actor: op.actor,
        requestId: ctx.requestId,
      });
      // The event the fast path would have written with the operation (one event, built once).
      await audit.record(op.audit, em);
      return { secret, operation };
    });
  };

  /** Records an update or delete of `current` (read and authorized), or says why not. */
  const accept = async (
    p: Principal,
    current: SecretRow,
    write: 'update_value' | 'delete',
    value: string | null,
    ctx: RequestContext,
  ): Promise<Accepted> => {
    if (!admitsWrite(current.status, write)) throw conflict(current.name, current.status, write);
    const id = randomUUID();
    const accepted = await secrets.accept(current.id, write, {
      id,
      kind: write,
      sealedPayload: value === null ? null : sealer.seal(id, p.companyId, value),
      actor: opActor(p),
      requestId: ctx.requestId,
      audit: allowed(p, write === 'delete' ? 'secrets:delete' : 'secrets:update', current.name, ctx, id),
    });
    if (accepted) return accepted;
    // Nothing written: the secret changed since it was read. Say what it is now.
    const latest = await secrets.findById(p.companyId, current.id);
    if (!latest || latest.status === 'deleted') throw new NotFoundError(`No secret named ${current.name}`);
    throw conflict(current.name, latest.status, write);
  };

  return {
    readable,

    /** A secret's metadata, owners, versions and bindings: one statement, then the policy decides (404 if it may not be read). */
    get: async (p: Principal, name: string, ctx: RequestContext) => {
      const found = await secrets.findDetail(p.companyId, name);
      if (!found) throw new NotFoundError(`No secret named ${name}`);
      const s = found.secret;
      const d = await authz.audited({ principal: p, action: 'secrets:read', resource: secretResource(s) }, ctx);
      if (d.decision !== 'allow') throw new NotFoundError(`No secret named ${name}`);
      // Metadata reads are audited too; off the request's critical path (queued, outbox fallback).
      const [, bound] = await Promise.all([
        audit.record(allowedEvent(p, 'secrets:read', { kind: 'secret', name: s.name }, ctx, now())),
        deps.presentBindings(p, new Map([[s.id, found.bindings]])),
      ]);
      return { secret: s, owners: found.owners, bound: bound.get(s.id) ?? [], versions: found.versions };
    },

    /**
     * Lists in name order, keeping only secrets the caller may read. The first batch is one page
     * (plus one, to know whether another follows), each row with its owners and bindings, so a page
     * everyone may read costs one statement; when policy hides rows it reads ahead in larger batches
     * so a page is still full, and the cursor is the last name returned.
     */
    list: async (
      p: Principal,
      filter: SecretListFilter,
      after: string | undefined,
      limit: number,
      ctx: RequestContext,
    ) => {
      const mayRead = await authz.authorizer(p, 'secrets:read');
      const visible: SecretWithRelations[] = [];
      let cursor = after;
      let batch = limit + 1;
      // The evaluation budget counts the time spent deciding rows, not the wait for them: a slow
      // statement (a loaded database, a cold plan) must not cut an ordinary page short.
      let decidingMs = 0;
      // Set when the evaluation budget ran out before the page filled: the next page starts here.
      let resumeAfter: string | undefined;
      for (;;) {
        const rows = await secrets.listPage(p.companyId, filter, cursor, batch);
        // Decided within the evaluation budget: a costly policy set cannot hold the event loop.
        const started = performance.now();
        const scan = await scanWithinBudget(rows, (r) => mayRead(secretResource(r.secret)).decision === 'allow', {
          max: limit + 1 - visible.length,
          deadline: started + LIST_BUDGET_MS - decidingMs,
        });
        decidingMs += performance.now() - started;
        visible.push(...scan.kept);
        if (visible.length > limit) break;
        if (scan.examined < rows.length) {
          resumeAfter = rows[scan.examined - 1]!.secret.name;
          break;
        }
        if (rows.length < batch) break;
        cursor = rows[rows.length - 1]!.secret.name;
        batch = Math.max(limit * 2, 100);
      }
      const shown = visible.slice(0, limit);
      // One event per list call, naming how many secrets it showed.
      await audit.record(
        allowedEvent(p, 'secrets:read', { kind: 'secret', name: null }, ctx, now(), { reason: `list:${shown.length}` }),
      );
      const page = shown.map((r) => r.secret);
      const owners = new Map(shown.map((r) => [r.secret.id, r.owners]));
      const bound = await deps.presentBindings(p, new Map(shown.map((r) => [r.secret.id, r.bindings])));
      const last = page[page.length - 1];
      const nextAfter = visible.length > limit ? last?.name : resumeAfter;
      return { page, owners, bound, nextAfter };
    },

    create: async (
      p: Principal,
      input: {
        name: string;
        value: string;
        type: SecretType;
        description: string;
        tags: Record<string, string>;
        owners?: string[] | undefined;
        reminder?: { intervalDays: number } | null | undefined;
      },
      ctx: RequestContext,
    ): Promise<WriteResult> => {
      const resource = { kind: 'secret' as const, name: input.name, secretType: input.type, tags: input.tags };
      await authz.require({ principal: p, action: 'secrets:create', resource, requestTags: input.tags }, ctx);
      const secret = {
        name: input.name,
        type: input.type,
        description: input.description,
        tags: input.tags,
        actor: opActor(p),
        reminderIntervalDays: input.reminder?.intervalDays ?? null,
        owners: input.owners ?? (p.type === 'user' ? [p.id] : []),
      };
      const id = randomUUID();
      const op: AcceptedOperation = {
        id,
        kind: 'create',
        sealedPayload: sealer.seal(id, p.companyId, input.value),
        actor: opActor(p),
        requestId: ctx.requestId,
        audit: allowed(p, 'secrets:create', input.name, ctx, id),
      };
      // One statement when the name is free and the owners are the company's; else the slow path.
      const fast = await withOwners(p.companyId, secret.owners, () => secrets.insertNew(p.companyId, secret, op));
      if (fast) return dispatch(fast, extrasOf(p, fast.secret.id, fast));
      const accepted = await withOwners(p.companyId, secret.owners, () => createSlowly(p, secret, op, ctx));
      return dispatch(accepted, extrasOf(p, accepted.secret.id));
    },

    updateValue: async (p: Principal, name: string, value: string, ctx: RequestContext): Promise<WriteResult> => {
      const current = await readable(p, name, ctx);
      await authz.require({ principal: p, action: 'secrets:update', resource: secretResource(current) }, ctx);
      const accepted = await accept(p, current, 'update_value', value, ctx);
      return dispatch(accepted, extrasOf(p, current.id));
    },

    /** Permanent delete after the review step (`confirm` must repeat the name). */
    remove: async (
      p: Principal,
      name: string,
      confirm: string | undefined,
      ctx: RequestContext,
    ): Promise<WriteResult> => {
      const current = await readable(p, name, ctx);
      await authz.require({ principal: p, action: 'secrets:delete', resource: secretResource(current) }, ctx);
      if (!admitsWrite(current.status, 'delete')) throw conflict(name, current.status, 'delete');
      if (confirm !== name) {
        const bound = (await deps.bindings(p, [current.id])).get(current.id) ?? [];
        throw new ConflictError(
          confirm === undefined
            ? `Deleting ${name} is permanent. Review its bindings, then repeat the request with confirm=${name}`
            : `confirm does not match the secret name ${name}`,
          { extra: { boundResources: bound }, errors: [{ path: 'confirm', message: `must equal ${name}` }] },
        );
      }
      const accepted = await accept(p, current, 'delete', null, ctx);
      // A delete answers with its operation only.
      return dispatch(accepted, Promise.resolve({ owners: [], bound: [] }));
    },

    /** Metadata only, synchronous; tag changes must be allowed before and after. */
    patch: async (
      p: Principal,
      name: string,
      input: {
        description?: string | undefined;
        tags?: Record<string, string> | undefined;
        type?: SecretType | undefined;
        owners?: string[] | undefined;
      },
      ctx: RequestContext,
    ): Promise<SecretRow> => {
      const current = await readable(p, name, ctx);
      const after = secretResource({
        name: current.name,
        type: input.type ?? current.type,
        tags: input.tags ?? current.tags,
      });
      await authz.require(
        {
          principal: p,
          action: 'secrets:update',
          resource: secretResource(current),
          after,
          ...(input.tags ? { requestTags: input.tags } : {}),
        },
        ctx,
      );
      if (input.owners) await assertOwners(p.companyId, input.owners);
      return withOwners(p.companyId, input.owners, () =>
        dataSource.transaction(async (em) => {
          const secret = await secrets.findLive(p.companyId, name, em, true);
          if (!secret) throw new NotFoundError(`No secret named ${name}`);
          if (!admitsWrite(secret.status, 'update_metadata')) throw conflict(name, secret.status, 'update_metadata');
          const updated = await secrets.updateMeta(em, secret.id, input);
          if (input.owners) await secrets.setOwners(em, secret.id, input.owners);
          await auditAllowed(em, p, 'secrets:update_metadata', secret.name, ctx);
          return updated;
        }),
      );
    },

    /** Sets (`intervalDays`) or removes (`null`) the rotation reminder; needs `secrets:update`. */
    setReminder: async (
      p: Principal,
      name: string,
      intervalDays: number | null,
      ctx: RequestContext,
    ): Promise<SecretRow> => {
      const current = await readable(p, name, ctx);
      await authz.require({ principal: p, action: 'secrets:update', resource: secretResource(current) }, ctx);
      return dataSource.transaction(async (em) => {
        const secret = await secrets.findLive(p.companyId, name, em, true);
        if (!secret) throw new NotFoundError(`No secret named ${name}`);
        if (!admitsWrite(secret.status, 'set_reminder')) throw conflict(name, secret.status, 'set_reminder');
        const updated = await secrets.setReminder(em, secret.id, intervalDays);
        await auditAllowed(
          em,
          p,
          intervalDays === null ? 'secrets:reminder_removed' : 'secrets:reminder_set',
          secret.name,
          ctx,
        );
        return updated;
      });
    },

    /** Owners and bindings of one secret, for write responses. */
    describe: async (p: Principal, s: SecretRow) => {
      const [owners, bound] = await Promise.all([secrets.owners([s.id]), deps.bindings(p, [s.id])]);
      return { owners: owners.get(s.id) ?? [], bound: bound.get(s.id) ?? [] };
    },

    /**
     * Operations newest first, keeping those on secrets the caller may read (as `operation` does).
     * Reads ahead in batches so a page is full even when policy hides many rows.
     */
    listOperations: async (p: Principal, filter: OperationListFilter, after: OperationCursor | undefined, limit: number) => {
      const mayRead = await authz.authorizer(p, 'secrets:read');
      const visible: Array<{ operation: OperationRow; key: OperationCursor }> = [];
      let cursor = after;
      const batch = Math.max(limit * 2, 100);
      for (;;) {
        const rows = await secrets.listOperations(p.companyId, filter, cursor, batch);
        for (const r of rows) {
          if (mayRead(secretResource(r.secret)).decision === 'allow') {
            visible.push(r);
            if (visible.length > limit) break;
          }
        }
        if (visible.length > limit || rows.length < batch) break;
        cursor = rows[rows.length - 1]!.key;
      }
      const page = visible.slice(0, limit);
      return { page: page.map((v) => v.operation), nextKey: visible.length > limit ? page[page.length - 1]?.key : undefined };
    },

    /** An operation is visible to whoever may read its secret's metadata (else 404). */
    operation: async (p: Principal, id: string): Promise<OperationRow> => {
      const op = await secrets.findOperation(p.companyId, id);
      const secret = op ? await secrets.findById(p.companyId, op.secretId) : null;
      if (!op || !secret) throw new NotFoundError('No such operation');
      const d = await authz.decide({ principal: p, action: 'secrets:read', resource: secretResource(secret) });
      if (d.decision !== 'allow') throw new NotFoundError('No such operation');
      return op;
    },
  };
};

export type SecretService = ReturnType<typeof secretServiceFactory>;
