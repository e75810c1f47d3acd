import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from 'pino';
import proxyaddr from 'proxy-addr';
import { authenticateCredentials, bearerOf, consumeApiBudget } from '../auth/auth-middleware.js';
import type { AuthService } from '../auth/auth-service.js';
import type { Metrics } from '../health/metrics.js';
import { HotAnswer, type HotRoute } from './hot-route.js';
import { INTERNAL_PROBLEM, PROBLEM_CONTENT_TYPE, problemFor } from './problem.js';
import type { RateLimiter } from './rate-limit.js';
import { assertStorableBody, assertStorableQuery, decodePlainJson, isPlainJsonBody } from './request-decoding.js';
import { requestIdFor } from './request-id.js';
import { logMisfit, type ResponseSerializer } from './response-serializer.js';
import type { HeaderList } from './security-headers.js';

const API_PREFIX = '/api/v1';
const JSON_TYPE = 'application/json; charset=utf-8';
const PROBLEM_TYPE = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`;
const HEALTHY = JSON.stringify({ status: 'ok' });

export interface FastLaneDeps {
  routes: readonly HotRoute[];
  auth: Pick<AuthService, 'principalFromSession' | 'principalFromToken'>;
  limiter: RateLimiter;
  /** Response texts through their declared schemas (`responseSerializerFor(...).text`). */
  serialize: Pick<ResponseSerializer, 'text'>;
  securityHeaders: HeaderList;
  metrics: Pick<Metrics, 'record'>;
  logger: Logger;
  /** Express's compiled `trust proxy` (`app.get('trust proxy fn')`), so `ip` is what `req.ip` would be. */
  trustProxy: (addr: string, i: number) => boolean;
  /** The parameter a URI is malformed in, if any (`malformedUriParameter`). */
  malformedUri: (url: string) => string | undefined;
  /** Drops a company's cached secret details in every API process (`metadata-sync.ts`). */
  announceMetadata: (companyId: string) => Promise<void>;
}

interface Compiled {
  route: HotRoute;
  /** Path segments after `/api/v1`; a parameter is `:name`. */
  segments: string[];
  /** The metrics label, as Express reports it: `/api/v1/secrets/:name`. */
  label: string;
}

/** The whole request body (a plain JSON body, so its length is known and within the limit). */
/** The client went away before its body was in: there is no one to answer. */
class ClientAborted extends Error {}

const bodyOf = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    // node:http reports a body cut short by the client as an ECONNRESET error, which problemFor
    // would take for an unreachable database (503, an error line, a 5xx in the metrics).
    req.once('error', () => reject(new ClientAborted('request aborted')));
  });

/**
 * The fast lane: `/healthz`, the hot authenticated reads and the create (`HotRoute`s) answered
 * straight from node:http, without Express. Express costs more per request than everything these
 * routes do (its request and response setup, a router walk through every mounted router, thirteen
 * helmet middlewares, pino-http's per-request child logger): a bare Express app answers a fraction of
 * what node:http does on the same machine.
 *
 * The lane takes a request only in the plain case and otherwise returns false, so Express
 * serves it, unchanged: an exact path (Express also matches other cases and a trailing slash), no
 * body (for a route that takes one, a plain JSON body: `isPlainJsonBody`), a well-formed URI,
 * and for a POST a bearer token (cookie writes need the CSRF check). What
 * it takes it answers exactly as the Express chain would, step for step: request id, security
 * headers, `Cache-Control: no-store`, authentication (401), the rate limit (429), the body decoded
 * (400), storable query and body text (400), the route, the response through its declared schema, problems for every error, the
 * access log line and the request metrics. The same functions do each step on both paths.
 */
export const fastLane = (deps: FastLaneDeps) => {
  const compiled: Compiled[] = deps.routes.map((route) => ({
    route,
    segments: route.path.split('/').slice(1),
    label: `${API_PREFIX}${route.path}`,
  }));
  const byMethod = new Map<string, Compiled[]>();
  for (const c of compiled) byMethod.set(c.route.method, [...(byMethod.get(c.route.method) ?? []), c]);
  const baseHeaders = deps.securityHeaders.flat();
  const logRequests = () => deps.logger.isLevelEnabled('info');
  // Everything of a /healthz answer but its request id (slot 1), built once.
  const healthyHeaders = [
    'X-Request-Id',
    '',
    ...baseHeaders,
    'Content-Type',
    JSON_TYPE,
    'Content-Length',
    String(Buffer.byteLength(HEALTHY)),
  ];

  const write = (
    res: ServerResponse,
    status: number,
    requestId: string,
    type: string,
    body: string | Buffer,
    extra: string[] = [],
  ) => {
    res.writeHead(status, [
      'X-Request-Id',
      requestId,
      ...baseHeaders,
      ...extra,
      'Content-Type',
      type,
      'Content-Length',
      String(typeof body === 'string' ? Buffer.byteLength(body) : body.length),
    ]);
    res.end(body);
  };

  /** The route and decoded parameters for an API path, or undefined (Express decides). */
  const match = (method: string, path: string): { c: Compiled; params: Record<string, string> } | undefined => {
    const candidates = byMethod.get(method);
    if (!candidates) return undefined;
    const parts = path.slice(API_PREFIX.length + 1).split('/');
    for (const c of candidates) {
      if (c.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const want = c.segments[i]!;
        const got = parts[i]!;
        if (want.startsWith(':')) {
          if (got === '') ok = false;
          else params[want.slice(1)] = got.includes('%') ? decodeURIComponent(got) : got;
        } else ok = want === got;
      }
      if (ok) return { c, params };
    }
    return undefined;
  };

  const serve = async (
    req: IncomingMessage,
    res: ServerResponse,
    c: Compiled,
    params: Record<string, string>,
    path: string,
    rawQuery: string | undefined,
  ): Promise<void> => {
    const started = process.hrtime.bigint();
    const method = req.method!;
    const requestId = requestIdFor(req.headers['x-request-id'] as string | undefined);
    const extra = ['Cache-Control', 'no-store'];
    let status = 200;
    let companyId: string | undefined;
    // A write answers once every API process dropped the company's cached secret details, as on
    // Express (`announceMetadataOnWrite`); refusals (4xx) changed nothing.
    const settle = async () => {
      if (companyId && method !== 'GET' && !c.route.readOnly && !(status >= 400 && status < 500))
        await deps.announceMetadata(companyId);
    };
    try {
      const { principal } = await authenticateCredentials(deps.auth, req.headers.authorization, req.headers.cookie);
      companyId = principal.companyId;
      await consumeApiBudget(deps.limiter, principal);
      // A route with a body decodes it next, as `jsonBody()` does after the rate limit.
      const decoded = c.route.body ? decodePlainJson(await bodyOf(req)) : undefined;
      const query = rawQuery === undefined ? {} : parseQuery(rawQuery);
      assertStorableQuery(query);
      if (c.route.body) assertStorableBody(decoded);
      const out = await c.route.handle({
        principal,
        params,
        query,
        context: {
          requestId,
          ip: proxyaddr(req, deps.trustProxy) ?? null,
          userAgent: req.headers['user-agent']?.slice(0, 512) ?? null,
        },
        ...(c.route.body ? { body: decoded } : {}),
      });
      const answer = out instanceof HotAnswer ? out : new HotAnswer(200, out);
      // The barrier's PUBLISH goes out first; the answer is serialized while Redis replies, and
      // still leaves only once the barrier is through.
      status = answer.status;
      const settling = settle();
      const result = deps.serialize.text(method, c.route.path, answer.status, answer.body);
      await settling;
      if (result.ok) {
        write(res, status, requestId, JSON_TYPE, result.text, [...extra, ...answer.headers]);
      } else {
        logMisfit(deps.logger, { requestId, route: `${method} ${c.route.path}`, status: answer.status }, result);
        const refusal = status >= 400 && status < 500;
        status = 500;
        // A refusal that could not be written is a 500 now, which announces like any other.
        if (refusal) await settle();
        write(res, 500, requestId, PROBLEM_TYPE, JSON.stringify({ ...INTERNAL_PROBLEM, requestId }), extra);
      }
    } catch (err) {
      if (err instanceof ClientAborted) {
        // As on Express: pino-http's info line for a request whose response never finished, and no
        // metrics (they count finished responses); nothing was changed, so no barrier either.
        deps.logger.info(
          {
            req: { id: requestId, method, path },
            responseTime: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
          },
          'request aborted',
        );
        return;
      }
      const answer = problemFor(err, deps.logger, { requestId, path });
      status = answer.status;
      if (answer.retryAfterSeconds !== undefined) extra.push('Retry-After', String(answer.retryAfterSeconds));
      await settle();
      write(res, status, requestId, PROBLEM_TYPE, JSON.stringify({ ...answer.problem, requestId }), extra);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    deps.metrics.record(method, c.label, status, seconds);
    // The access log line pino-http writes for the Express routes.
    if (status >= 500) {
      deps.logger.error(
        {
          req: { id: requestId, method, path },
          res: { statusCode: status },
          err: { type: 'Error', message: `failed with status code ${status}` },
          responseTime: Math.round(seconds * 1000),
        },
        'request errored',
      );
    } else if (logRequests()) {
      deps.logger.info(
        { req: { id: requestId, method, path }, res: { statusCode: status }, responseTime: Math.round(seconds * 1000) },
        'request completed',
      );
    }
  };

  /** Answers the request and returns true, or returns false without touching it (Express serves it). */
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '';
    const method = req.method ?? '';
    if (url === '/healthz' && method === 'GET') {
      // Liveness probes: neither logged nor counted (they come every few seconds from every balancer).
      const headers = healthyHeaders.slice();
      headers[1] = requestIdFor(req.headers['x-request-id'] as string | undefined);
      res.writeHead(200, headers);
      res.end(HEALTHY);
      return true;
    }
    if (!url.startsWith(`${API_PREFIX}/`)) return false;
    const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
    if (hasBody && !isPlainJsonBody(req.headers)) return false;
    // A POST only with a bearer token: anything else may be a cookie session, whose writes need CSRF.
    if (method === 'POST' && !bearerOf(req.headers.authorization)) return false;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (deps.malformedUri(url) !== undefined) return false;
    const found = match(method, path);
    if (!found) return false;
    // A body only for a route that takes one, and a route that takes one only with a body.
    if (hasBody !== (found.c.route.body === true)) return false;
    serve(req, res, found.c, found.params, path, q === -1 ? undefined : url.slice(q + 1)).catch((err: unknown) => {
      // Only a failure while writing the answer gets here (everything before it is a problem
      // response): like Express's error handler once headers are out, end the connection.
      deps.logger.error(
        { err: { type: (err as Error)?.name, message: (err as Error)?.message }, path },
        'could not write a response',
      );
      res.destroy();
    });
    return true;
  };
};

export type FastLane = ReturnType<typeof fastLane>;
