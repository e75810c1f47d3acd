import { ENV_NAME_PATTERN, parseEnvSource } from '@nembl/core';
import { Router } from 'express';
import { z } from 'zod';
import { expressRoute, type HotRoute } from '../http/hot-route.js';
import { principalOf, requestContext } from '../http/request-context.js';
import { phaseNameSchema } from '../workflows/workflow-types.js';
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

const phaseEnvParams = z.object({ runId: z.uuid(), phase: phaseNameSchema });

/** `POST /runs/{runId}/phases/{phase}/env`: a phase's values, the hot path of every workflow start. */
export const phaseEnvRoute = (deps: { runs: Pick<RunService, 'resolve'> }): HotRoute => ({
  method: 'POST',
  path: '/runs/:runId/phases/:phase/env',
  readOnly: true,
  handle: async ({ principal, params, context }) => {
    const { runId, phase } = parseInput(phaseEnvParams, params, 'runId');
    return deps.runs.resolve(principal, runId, phase, context);
  },
});

/** Runtime injection: a run's phase, or ad-hoc references (`nembl run`). Service tokens only. */
export const envRouter = (deps: { runs: Pick<RunService, 'resolve' | 'resolveAdHoc'> }): Router => {
  const r = Router();
  r.post('/runs/:runId/phases/:phase/env', expressRoute(phaseEnvRoute(deps)));
  r.post('/env/resolve', async (req, res) => {
    const p = principalOf(res);
    const { env } = parseInput(envResolveSchema, req.body);
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.runs.resolveAdHoc(p, env, requestContext(req, res)));
  });
  return r;
};
