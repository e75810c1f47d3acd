import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Op } from '../openapi/api-operations.js';
import { isReusableBody } from './hot-route.js';
import { INTERNAL_PROBLEM, sendProblem } from './problem.js';
import { pageItemOf } from './response-schemas.js';

/** `/secrets/{name}` → `/secrets/:name`, the route path Express reports. */
const expressPath = (openapiPath: string) => openapiPath.replace(/\{(\w+)\}/g, ':$1');

type Misfit = { ok: false; declared: boolean; issues?: Array<{ path: PropertyKey[]; code: string }> };

export type Serialized = { ok: true; data: unknown } | Misfit;

/** What the fast lane sends: the JSON text of `data` (UTF-8 encoded already, for a reused page). */
export type SerializedText = { ok: true; text: string | Buffer } | Misfit;

/** A page of reusable items, as sent last: the same items and tail make the same bytes. */
interface SentPage {
  items: readonly unknown[];
  tail: string;
  bytes: Buffer;
}

interface Declared {
  schema: z.ZodType;
  /** For a page (`pageOf`): the schema of its items. */
  item: z.ZodType | undefined;
  /** Texts of reusable bodies and of reusable page items (`reusableBody`), by their object. */
  texts: WeakMap<object, string>;
  /** The last page whose items were all reusable, by its first item. */
  pages: WeakMap<object, SentPage>;
}

const sameItems = (a: readonly unknown[], b: readonly unknown[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

// Issues name paths and expectations, never the values that failed them.
const misfit = (error: z.ZodError, at: PropertyKey[] = []): Misfit => ({
  ok: false,
  declared: true,
  issues: error.issues.map((i) => ({ path: [...at, ...i.path], code: i.code })),
});

/** The start of a page's text with no items: `pageOf` declares `items` first. */
const EMPTY_PAGE_HEAD = '{"items":[]';

const isPageBody = (body: unknown): body is { items: unknown[] } =>
  typeof body === 'object' && body !== null && Array.isArray((body as { items?: unknown }).items);

/**
 * Serializes a successful JSON response through the schema its operation declares for the
 * status (`method`, Express route path such as `/secrets/:name`, status): fields a schema does not
 * declare are dropped, so nothing undeclared can leak (a mapper that grows a field, a row spread
 * by mistake). A body that does not fit, or a route or status with no declared schema, is a bug.
 */
export const responseSerializerFor = (operations: Record<string, Record<string, Op>>) => {
  const schemas = new Map<string, Map<number, Declared>>();
  for (const [path, ops] of Object.entries(operations)) {
    for (const [method, op] of Object.entries(ops)) {
      const byStatus = new Map<number, Declared>();
      for (const [status, success] of Object.entries(op.success))
        if (success.schema)
          byStatus.set(Number(status), {
            schema: success.schema,
            item: pageItemOf(success.schema),
            texts: new WeakMap(),
            pages: new WeakMap(),
          });
      schemas.set(`${method.toUpperCase()} ${expressPath(path)}`, byStatus);
    }
  }
  const serialize = (method: string, route: string, status: number, body: unknown): Serialized => {
    const declared = schemas.get(`${method} ${route}`)?.get(status);
    if (!declared) return { ok: false, declared: false };
    const parsed = declared.schema.safeParse(body);
    return parsed.success ? { ok: true, data: parsed.data } : misfit(parsed.error);
  };

  /** An item's text, once per reusable item. */
  const itemText = (
    schema: z.ZodType,
    texts: Declared['texts'],
    item: unknown,
    i: number,
  ): { ok: true; text: string } | Misfit => {
    const reuse = isReusableBody(item);
    const known = reuse ? texts.get(item) : undefined;
    if (known !== undefined) return { ok: true, text: known };
    const parsed = schema.safeParse(item);
    if (!parsed.success) return misfit(parsed.error, ['items', i]);
    const text = JSON.stringify(parsed.data);
    if (reuse) texts.set(item, text);
    return { ok: true, text };
  };

  /**
   * `JSON.stringify` of what `serialize` answers, with the same bytes, serializing less: a body
   * marked reusable (`reusableBody`) once, and a page's reusable items once each; the page around
   * them is serialized through its schema with no items, and theirs spliced in (the text of an
   * array is its items' texts joined by commas). A page of reusable items only is a function of
   * which items and of the rest of the page, so the same page again is the same bytes, kept encoded.
   */
  const text = (method: string, route: string, status: number, body: unknown): SerializedText => {
    const declared = schemas.get(`${method} ${route}`)?.get(status);
    if (!declared) return { ok: false, declared: false };
    const reuse = isReusableBody(body);
    const known = reuse ? declared.texts.get(body) : undefined;
    if (known !== undefined) return { ok: true, text: known };
    const { item } = declared;
    if (item && isPageBody(body)) {
      const envelope = declared.schema.safeParse({ ...body, items: [] });
      if (!envelope.success) return misfit(envelope.error);
      const head = JSON.stringify(envelope.data);
      if (head.startsWith(EMPTY_PAGE_HEAD)) {
        const { items } = body;
        const tail = head.slice(EMPTY_PAGE_HEAD.length);
        const sent = items.length > 0 && isReusableBody(items[0]) ? declared.pages.get(items[0]) : undefined;
        if (sent && sent.tail === tail && sameItems(sent.items, items)) return { ok: true, text: sent.bytes };
        const parts: string[] = [];
        let allReusable = items.length > 0;
        for (let i = 0; i < items.length; i++) {
          const part = itemText(item, declared.texts, items[i], i);
          if (!part.ok) return part;
          parts.push(part.text);
          allReusable &&= isReusableBody(items[i]);
        }
        const out = `{"items":[${parts.join(',')}]${tail}`;
        if (reuse) declared.texts.set(body, out);
        if (!allReusable) return { ok: true, text: out };
        const bytes = Buffer.from(out);
        declared.pages.set(items[0] as object, { items: items.slice(), tail, bytes });
        return { ok: true, text: bytes };
      }
    }
    const parsed = declared.schema.safeParse(body);
    if (!parsed.success) return misfit(parsed.error);
    const out = JSON.stringify(parsed.data);
    if (reuse) declared.texts.set(body, out);
    return { ok: true, text: out };
  };

  return Object.assign(serialize, { text });
};

export type ResponseSerializer = ReturnType<typeof responseSerializerFor>;

/** Logs a response that was not sent because it does not fit its schema (answered 500 instead). */
export const logMisfit = (
  logger: Pick<Logger, 'error'>,
  at: { requestId: unknown; route: string; status: number },
  result: Extract<Serialized, { ok: false }>,
): void =>
  logger.error(
    { requestId: at.requestId, route: at.route, status: at.status, issues: result.issues },
    result.declared ? 'response does not match its declared schema' : 'response has no declared schema',
  );

/**
 * Serializes every successful JSON response of the router it is mounted on through its declared
 * schema (see `responseSerializerFor`); a misfit answers 500 and is logged, never sent.
 */
export const responseSerializer = (serialize: ResponseSerializer, logger: Logger): RequestHandler => {
  return (req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 300) return send(body);
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const routePath = typeof route === 'string' ? route : '?';
      // Express answers HEAD with its GET route (and sends no body).
      const method = req.method === 'HEAD' ? 'GET' : req.method;
      const result = serialize(method, routePath, res.statusCode, body);
      if (result.ok) return send(result.data);
      logMisfit(
        logger,
        { requestId: res.locals.requestId, route: `${method} ${routePath}`, status: res.statusCode },
        result,
      );
      res.json = send;
      sendProblem(res, INTERNAL_PROBLEM);
      return res;
    };
    next();
  };
};
