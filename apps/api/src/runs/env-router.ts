import { ENV_NAME_PATTERN, parseEnvSource } from '@nembl/core';
import { Router } from 'express';
import { z } from 'zod';
import { principalOf, requestContext } from '../http/request-context.js';
import { parseInput } from '../http/validate.js';
import type { RunService } from './run-service.js';

export const ENV_RESOLVE_MAX = 100;

/** `POST /env/resolve`: the same variable names and sources as a workflow phase, 1–100 of them. */
export const envResolveSchema = z.strictObject({
  env: z
    .record(
      z.string().regex(ENV_NAME_PATTERN, 'env names are upper-case letters, digits and _ (not starting with a digit)'),
      z.string().max(4096),
    )
    .refine((env) => Object.keys(env).length >= 1, 'name at least one variable')
    .refine((env) => Object.keys(env).length <= ENV_RESOLVE_MAX, `at most ${ENV_RESOLVE_MAX} variables`)
    .superRefine((env, ctx) => {
      for (const [key, raw] of Object.entries(env)) {
        const src = parseEnvSource(raw);
        if (src.kind === 'invalid') ctx.addIssue({ code: 'custom', path: [key], message: src.message });
      }
    }),
});

export const envRouter = (deps: { runs: Pick<RunService, 'resolveAdHoc'> }): Router => {
  const r = Router();
  r.post('/env/resolve', async (req, res) => {
    const p = principalOf(res);
    const { env } = parseInput(envResolveSchema, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.runs.resolveAdHoc(p, env, requestContext(req, res)));
  });
  return r;
};
