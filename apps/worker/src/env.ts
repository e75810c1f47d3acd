import { intEnv, parseEnv, sharedEnvSchema } from '@nembl/core';
import type { z } from 'zod';

export const workerEnvSchema = sharedEnvSchema.extend({
  NEMBL_WORKER_CONCURRENCY: intEnv(1, 256).default(8).describe('jobs processed at once per queue in this process'),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export const loadWorkerEnv = (source: NodeJS.ProcessEnv): Readonly<WorkerEnv> =>
  Object.freeze(parseEnv(workerEnvSchema, source));
