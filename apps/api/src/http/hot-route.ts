import type { Principal, RequestContext } from '@nembl/core';
import type { RequestHandler } from 'express';
import { principalOf, requestContext } from './request-context.js';

/** What a hot route sees of its request, however it arrived (Express or the fast lane). */
export interface HotRequest {
  principal: Principal;
  /** Decoded path parameters by name. */
  params: Readonly<Record<string, string>>;
  /** The decoded query (`querystring.parse`, Express's `simple` parser). */
  query: Readonly<Record<string, unknown>>;
  context: RequestContext;
  /** The decoded JSON body (`jsonBody()`'s), for a route that takes one (`body: true`). */
  body?: unknown;
}

/**
 * An answer other than a plain 200: a write's 201 or 202 with its `Location`. `headers` are
 * name/value pairs, like node:http's raw header lists.
 */
export class HotAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: readonly string[] = [],
  ) {}
}

/**
 * An authenticated, bodiless API route written once and served two ways: mounted on its Express
 * router like any other route, and answered by the fast lane (`fast-lane.ts`) when a request
 * needs nothing else of Express. The handler returns the 200 body; its schema is the one declared
 * for the route in `api-operations.ts`, and it throws our errors for everything else.
 */
export interface HotRoute {
  method: 'GET' | 'POST';
  /** Under `/api/v1`, as Express writes it: `/secrets/:name`. */
  path: string;
  /**
   * Takes a JSON body. Express decodes it with `jsonBody()`; the fast lane takes only the plain
   * case (Content-Length, `application/json` in UTF-8, no Content-Encoding, within the limit) and
   * decodes it with the same rules (`request-decoding.ts`).
   */
  body?: true;
  /**
   * A POST that changes no secret metadata (a resolution): the fast lane answers it without the
   * metadata barrier every other write waits for (see `metadata-sync.ts`).
   */
  readOnly?: boolean;
  /** Answers the 200 body, or a `HotAnswer`. */
  handle: (req: HotRequest) => Promise<unknown>;
}

/** The route as an Express handler (behind `authenticate`, like every API route). */
export const expressRoute =
  (route: HotRoute): RequestHandler =>
  async (req, res) => {
    const out = await route.handle({
      principal: principalOf(res),
      params: req.params as Record<string, string>,
      query: req.query as Record<string, unknown>,
      context: requestContext(req, res),
      ...(route.body ? { body: req.body as unknown } : {}),
    });
    if (!(out instanceof HotAnswer)) {
      res.json(out);
      return;
    }
    for (let i = 0; i + 1 < out.headers.length; i += 2) res.setHeader(out.headers[i]!, out.headers[i + 1]!);
    res.status(out.status).json(out.body);
  };

const reusable = new WeakSet<object>();

/**
 * Marks a body, or an item of a page body, that a route returns again, unchanged, for as long as
 * the inputs it was built from are cached (the same cached principal, secret detail or list row):
 * the fast lane then serializes it once (schema and JSON; `responseSerializerFor(...).text`) and
 * sends the same text each time. Serializing is a pure function of the body, so the answer is the
 * same as serializing it again; a marked body must never be changed.
 */
export const reusableBody = <T extends object>(body: T): T => {
  reusable.add(body);
  return body;
};

export const isReusableBody = (body: unknown): body is object =>
  typeof body === 'object' && body !== null && reusable.has(body);
