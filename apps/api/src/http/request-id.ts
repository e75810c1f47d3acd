import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A well-formed incoming X-Request-Id, else a new one. */
export const requestIdFor = (incoming: string | undefined): string =>
  incoming && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();

/** Echoes a well-formed incoming X-Request-Id, else mints one. */
export const requestIdMiddleware = (): RequestHandler => (req, res, next) => {
  const id = requestIdFor(req.get('x-request-id'));
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};
