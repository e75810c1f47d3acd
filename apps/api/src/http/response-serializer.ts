import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Op } from '../openapi/api-operations.js';
import { sendProblem } from './problem.js';

/** `/secrets/{name}` → `/secrets/:name`, the route path Express reports. */
const expressPath = (openapiPath: string) => openapiPath.replace(/\{(\w+)\}/g, ':$1');

/**
 * Serializes every successful JSON response through the schema its operation declares for the
 * status: fields a schema does not declare are dropped, so nothing undeclared can leak (a mapper
 * that grows a field, a row spread by mistake). A response that does not fit its schema, or a
 * route or status with no declared schema, is a bug: it answers 500 and is logged, never sent.
 */
export const responseSerializer = (operations: Record<string, Record<string, Op>>, logger: Logger): RequestHandler => {
  const schemas = new Map<string, Map<number, z.ZodType>>();
  for (const [path, ops] of Object.entries(operations)) {
    for (const [method, op] of Object.entries(ops)) {
      const byStatus = new Map<number, z.ZodType>();
      for (const [status, success] of Object.entries(op.success))
        if (success.schema) byStatus.set(Number(status), success.schema);
      schemas.set(`${method.toUpperCase()} ${expressPath(path)}`, byStatus);
    }
  }

  return (req, res, next) => {
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 300) return send(body);
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const key = `${req.method} ${typeof route === 'string' ? route : '?'}`;
      const schema = schemas.get(key)?.get(res.statusCode);
      const parsed = schema?.safeParse(body);
      if (parsed?.success) return send(parsed.data);
      // Issues name paths and expectations, never the values that failed them.
      logger.error(
        {
          requestId: res.locals.requestId,
          route: key,
          status: res.statusCode,
          issues: parsed?.error.issues.map((i) => ({ path: i.path, code: i.code })),
        },
        schema ? 'response does not match its declared schema' : 'response has no declared schema',
      );
      res.json = send;
      sendProblem(res, {
        type: '/problems/internal',
        title: 'Internal error',
        status: 500,
        detail: 'Something went wrong on our side; the request id identifies it in our logs',
      });
      return res;
    };
    next();
  };
};
