import {
  dueWindowEnd,
  lineText,
  OPERATION_STATUSES,
  operationJson,
  parseTagFilter,
  secretNameSchema,
  secretTypeSchema,
  ValidationError,
  type SecretRow,
} from '@nembl/core';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { expressRoute, HotAnswer, reusableBody, type HotRoute } from '../http/hot-route.js';
import { cursorCodec, parseLimit, secretNameCursor } from '../http/pagination.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { idParams, parseInput } from '../http/validate.js';
import type { OperationCursor } from './secret-repository.js';
import type { WriteResult, SecretService } from './secret-service.js';
import {
  createSecretSchema,
  nameParams,
  patchSecretSchema,
  putValueSchema,
  reminderSchema,
  secretJson,
  type SecretJson,
} from './secret-types.js';
import type { BoundResourceView } from '../bindings/visibility-fns.js';

export const listQuery = z.object({
  q: lineText.max(256).optional(),
  type: secretTypeSchema.optional(),
  due: z.enum(['overdue', '7d', '30d'], { message: 'must be overdue, 7d or 30d' }).optional(),
  tag: z.union([lineText, z.array(lineText)]).optional(),
  limit: z.unknown().optional(),
  cursor: z.unknown().optional(),
});

const operationStatusSchema = z.enum(OPERATION_STATUSES);
const STATUS_MESSAGE = `must be ${OPERATION_STATUSES.join(', ')}`;

export const operationListQuery = z.object({
  status: z
    .union([operationStatusSchema, z.array(operationStatusSchema).max(OPERATION_STATUSES.length * 4)], {
      message: STATUS_MESSAGE,
    })
    .optional(),
  secret: secretNameSchema.optional(),
  limit: z.unknown().optional(),
  cursor: z.unknown().optional(),
});

/** (createdAt, id) newest first: operations. `createdAt` keeps Postgres' microseconds. */
const operationCursor = cursorCodec(
  z.tuple([z.iso.datetime(), z.uuid()]),
  ([createdAt, id]) => ({ createdAt, id }),
  (k: OperationCursor) => [k.createdAt, k.id] as [string, string],
);

export const deleteBody = z.strictObject({ confirm: lineText.max(256).optional() }).optional();

/** `GET /secrets` and `GET /secrets/{name}`: the hot metadata reads (served by the fast lane too). */
export const secretReadRoutes = (deps: { secrets: Pick<SecretService, 'list' | 'get'>; now: () => Date }) => {
  // Detail answers by the row they were built from: the same objects while the detail is cached.
  const detailBodies = new WeakMap<SecretRow, { owners: unknown; versions: unknown; body: object }>();
  // List items by the row they were built from: the same objects while the list batch is cached.
  const listItems = new WeakMap<SecretRow, { owners: unknown; item: SecretJson }>();
  /** A list item; with nothing bound it depends on the (cached) row alone, not on who asks. */
  const listItem = (s: SecretRow, owners: SecretJson['owners'], bound: BoundResourceView[] | undefined): SecretJson => {
    if (bound !== undefined && bound.length > 0) return secretJson(s, owners, bound);
    const known = listItems.get(s);
    if (known && known.owners === owners) return known.item;
    const item = reusableBody(secretJson(s, owners, []));
    listItems.set(s, { owners, item });
    return item;
  };
  return {
    list: {
      method: 'GET',
      path: '/secrets',
      handle: async ({ principal: p, query: raw, context }) => {
        const query = parseInput(listQuery, raw, 'query');
        const limit = parseLimit(raw.limit);
        const after = secretNameCursor.decode(raw.cursor);
        const tagValues = query.tag === undefined ? [] : Array.isArray(query.tag) ? query.tag : [query.tag];
        const tags = tagValues.map((value, i) => {
          const t = parseTagFilter(value);
          if (!t) throw ValidationError.field(tagValues.length > 1 ? `tag[${i}]` : 'tag', 'must look like key:value');
          return t;
        });
        const dueBefore = query.due === undefined ? undefined : dueWindowEnd(query.due, deps.now());
        const { page, owners, bound, nextAfter } = await deps.secrets.list(
          p,
          { q: query.q, type: query.type, tags, dueBefore },
          after,
          limit,
          context,
        );
        return {
          items: page.map((s) => listItem(s, owners.get(s.id) ?? [], bound.get(s.id))),
          nextCursor: nextAfter === undefined ? null : secretNameCursor.encode(nextAfter),
        };
      },
    } satisfies HotRoute,
    get: {
      method: 'GET',
      path: '/secrets/:name',
      handle: async ({ principal: p, params, context }) => {
        const { name } = parseInput(nameParams, params, 'name');
        const { secret, owners, bound, versions } = await deps.secrets.get(p, name, context);
        // With nothing bound the answer depends on the (cached) detail alone, not on who asks.
        const known = bound.length === 0 ? detailBodies.get(secret) : undefined;
        if (known && known.owners === owners && known.versions === versions) return known.body;
        const body = {
          secret: secretJson(secret, owners, bound),
          versions: versions.map((v) => ({
            version: v.version,
            createdAt: v.createdAt.toISOString(),
            createdBy: v.createdBy,
          })),
        };
        if (bound.length === 0) detailBodies.set(secret, { owners, versions, body: reusableBody(body) });
        return body;
      },
    } satisfies HotRoute,
  };
};

/** A write's answer: `successStatus` once its operation succeeded, else 202 with where to follow it. */
const writeAnswer = (result: WriteResult, successStatus: 200 | 201, includeSecret = true): HotAnswer =>
  new HotAnswer(
    result.done ? successStatus : 202,
    {
      ...(includeSecret ? { secret: secretJson(result.secret, result.owners, result.bound) } : {}),
      operation: operationJson(result.operation),
    },
    result.done ? [] : ['Location', `/api/v1/operations/${result.operation.id}`],
  );

/** `POST /secrets`: the hot write (served by the fast lane too, for a bearer token and a plain JSON body). */
export const secretWriteRoutes = (deps: { secrets: Pick<SecretService, 'create'> }) => ({
  create: {
    method: 'POST',
    path: '/secrets',
    body: true,
    handle: async ({ principal, body, context }) =>
      writeAnswer(await deps.secrets.create(principal, parseInput(createSecretSchema, body), context), 201),
  } satisfies HotRoute,
});

export const secretRouter = (deps: { secrets: SecretService; now: () => Date }): Router => {
  const r = Router();

  /** A changed secret with its owners and bindings (not a read: no `secrets:read` event). */
  const sendSecret = async (res: Response, secret: SecretRow) => {
    const { owners, bound } = await deps.secrets.describe(principalOf(res), secret);
    res.json({ secret: secretJson(secret, owners, bound) });
  };

  const sendWrite = (res: Response, result: WriteResult, successStatus: 200 | 201, includeSecret = true) => {
    const answer = writeAnswer(result, successStatus, includeSecret);
    for (let i = 0; i + 1 < answer.headers.length; i += 2) res.setHeader(answer.headers[i]!, answer.headers[i + 1]!);
    res.status(answer.status).json(answer.body);
  };

  const reads = secretReadRoutes(deps);
  r.get('/secrets', expressRoute(reads.list));

  r.post('/secrets', expressRoute(secretWriteRoutes(deps).create));

  r.get('/secrets/:name', expressRoute(reads.get));

  r.patch('/secrets/:name', async (req, res) => {
    const p = principalOf(res);
    const { name } = parseInput(nameParams, req.params, 'name');
    const body = parseInput(patchSecretSchema, req.body);
    await sendSecret(res, await deps.secrets.patch(p, name, body, requestContext(req, res)));
  });

  r.put('/secrets/:name/value', async (req, res) => {
    const p = principalOf(res);
    const { name } = parseInput(nameParams, req.params, 'name');
    const body = parseInput(putValueSchema, req.body);
    const result = await deps.secrets.updateValue(p, name, body.value, requestContext(req, res));
    sendWrite(res, result, 200);
  });

  r.delete('/secrets/:name', async (req, res) => {
    const p = principalOf(res);
    const { name } = parseInput(nameParams, req.params, 'name');
    const body = parseInput(deleteBody, req.body);
    const queryConfirm = typeof req.query.confirm === 'string' ? req.query.confirm : undefined;
    const result = await deps.secrets.remove(p, name, body?.confirm ?? queryConfirm, requestContext(req, res));
    sendWrite(res, result, 200, false);
  });

  r.put('/secrets/:name/reminder', async (req, res) => {
    const p = principalOf(res);
    const { name } = parseInput(nameParams, req.params, 'name');
    const body = parseInput(reminderSchema, req.body);
    await sendSecret(res, await deps.secrets.setReminder(p, name, body.intervalDays, requestContext(req, res)));
  });

  r.delete('/secrets/:name/reminder', async (req, res) => {
    const p = principalOf(res);
    const { name } = parseInput(nameParams, req.params, 'name');
    await sendSecret(res, await deps.secrets.setReminder(p, name, null, requestContext(req, res)));
  });

  r.get('/secrets/:name/bindings', async (req, res) => {
    const p = principalOf(res);
    const { name } = parseInput(nameParams, req.params, 'name');
    const { bound } = await deps.secrets.get(p, name, requestContext(req, res));
    res.json({ items: bound });
  });

  r.get('/operations', async (req, res) => {
    const p = principalOf(res);
    const query = parseInput(operationListQuery, req.query, 'query');
    const limit = parseLimit(req.query.limit);
    const cursor = operationCursor.decode(req.query.cursor);
    const statuses =
      query.status === undefined ? undefined : Array.isArray(query.status) ? query.status : [query.status];
    const { page, nextKey } = await deps.secrets.listOperations(
      p,
      { statuses, secretName: query.secret },
      cursor,
      limit,
    );
    res.json({ items: page.map(operationJson), nextCursor: nextKey ? operationCursor.encode(nextKey) : null });
  });

  r.get('/operations/:id', async (req, res) => {
    const p = principalOf(res);
    const { id } = parseInput(idParams, req.params, 'id');
    res.json(operationJson(await deps.secrets.operation(p, id)));
  });

  return r;
};
