import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Op } from '../openapi/api-operations.js';
import { INTERNAL_PROBLEM, sendProblem } from './problem.js';

/** `/secrets/{name}` → `/secrets/:name`, the route path Express reports. */
const expressPath = (openapiPath: string) => openapiPath.replace(/\{(\w+)\}/g, ':$1');

export type Serialized =
  | { ok: true; data: unknown }
  | { ok: false; declared: boolean; issues?: Array<{ path: PropertyKey[]; code: string }> };

/**
 * Serializes a successful JSON response through the schema its operation declares for the
 * status (`method`, Express route path such as `/secrets/:name`, status): fields a schema does not
 * declare are dropped, so nothing undeclared can leak (a mapper that grows a field, a row spread
 * by mistake). A body that does not fit, or a route or status with no declared schema, is a bug.
 */
export const responseSerializerFor = (operations: Record<string, Record<string, Op>>) => {
  const schemas = new Map<string, Map<number, z.ZodType>>();
  for (const [path, ops] of Object.entries(operations)) {
    for (const [method, op] of Object.entries(ops)) {
      const byStatus = new Map<number, z.ZodType>();
      for (const [status, success] of Object.entries(op.success))
        if (success.schema) byStatus.set(Number(status), success.schema);
      schemas.set(`${method.toUpperCase()} ${expressPath(path)}`, byStatus);
    }
  }
  return (method: string, route: string, status: number, body: unknown): Serialized => {
    const schema = schemas.get(`${method} ${route}`)?.get(status);
    if (!schema) return { ok: false, declared: false };
    const parsed = schema.safeParse(body);
    if (parsed.success) return { ok: true, data: parsed.data };
    // Issues name paths and expectations, never the values that failed them.
    return { ok: false, declared: true, issues: parsed.error.issues.map((i) => ({ path: i.path, code: i.code })) };
  };
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
      logMisfit(logger, { requestId: res.locals.requestId, route: `${method} ${routePath}`, status: res.statusCode }, result);
      res.json = send;
      sendProblem(res, INTERNAL_PROBLEM);
      return res;
    };
    next();
  };
};
