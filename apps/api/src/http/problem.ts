import { AppError, RateLimitedError, UnavailableError, type FieldError } from '@nembl/core';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isDatabaseUnreachable } from './pg-errors.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const fieldErrorSchema = z
  .object({
    path: z.string().meta({ description: 'Dots and brackets: `tags.environment`, `statements[2].conditions`.' }),
    message: z.string(),
  })
  .meta({ id: 'FieldError' });

/** RFC 9457 problem details; extension members (e.g. `action` and `reason` on a 403) may follow. */
export const problemSchema = z
  .looseObject({
    type: z.string().meta({
      format: 'uri-reference',
      description:
        'Stable per kind: `/problems/validation`, `/problems/unauthorized`, `/problems/forbidden`, `/problems/not-found`, `/problems/conflict`, ' +
        '`/problems/payload-too-large`, `/problems/unsupported-media-type`, `/problems/unprocessable`, `/problems/rate-limited`, `/problems/unavailable`, `/problems/internal`.',
    }),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().meta({ description: 'Human-readable; for 403 it names the denied action. Never a stack trace or a value.' }),
    errors: z.array(fieldErrorSchema).optional(),
    requestId: z.string().meta({ description: 'Same as the `X-Request-Id` response header.' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (`application/problem+json`).' });

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  requestId: string;
}

export const sendProblem = (res: Response, problem: Omit<Problem, 'requestId'> & Record<string, unknown>): void => {
  res
    .status(problem.status)
    .type(PROBLEM_CONTENT_TYPE)
    .json({ ...problem, requestId: String(res.locals.requestId ?? '') });
};

const problemType = (kind: string) => `/problems/${kind}`;

/** A problem ready to send: its status, `Retry-After` seconds if any, and the body without `requestId`. */
export interface ProblemAnswer {
  status: number;
  retryAfterSeconds?: number;
  problem: Omit<Problem, 'requestId'> & Record<string, unknown>;
}

/**
 * The one place errors become problems. Never a stack trace, never a value: an error that is not
 * one of ours is logged by class and message only (driver errors can carry parameters) and
 * answered as a 500.
 */
export const problemFor = (thrown: unknown, logger: Pick<Logger, 'error'>, at: { requestId: string; path: string }): ProblemAnswer => {
  // Nothing was written (each write is one transaction): the client may simply retry.
  const err = isDatabaseUnreachable(thrown) ? new UnavailableError('The database is unreachable; try again shortly', 5) : thrown;
  if (err instanceof AppError) {
    return {
      status: err.status,
      ...(err instanceof RateLimitedError || err instanceof UnavailableError ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
      problem: {
        type: problemType(err.kind),
        title: err.title,
        status: err.status,
        detail: err.message,
        ...(err.errors ? { errors: err.errors } : {}),
        ...(err.extra ?? {}),
      },
    };
  }
  const e = err as Error;
  logger.error({ requestId: at.requestId, err: { type: e?.name, message: e?.message }, path: at.path }, 'unhandled error');
  return { status: 500, problem: INTERNAL_PROBLEM };
};

export const INTERNAL_PROBLEM = {
  type: problemType('internal'),
  title: 'Internal error',
  status: 500,
  detail: 'Something went wrong on our side; the request id identifies it in our logs',
};

/** Turns whatever a route threw into its problem response. */
export const problemMiddleware =
  (logger: Logger): ErrorRequestHandler =>
  (thrown: unknown, req, res, _next) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const answer = problemFor(thrown, logger, { requestId: String(res.locals.requestId ?? ''), path: req.path });
    if (answer.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(answer.retryAfterSeconds));
    sendProblem(res, answer.problem);
  };
