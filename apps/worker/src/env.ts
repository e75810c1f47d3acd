import { intEnv, parseEnv, sharedEnvSchema } from '@nembl/core';
import type { z } from 'zod';

export const workerEnvSchema = sharedEnvSchema.extend({
  NEMBL_WORKER_CONCURRENCY: intEnv(1, 256).default(8).describe('jobs processed at once per queue in this process'),
  NEMBL_OPERATION_LEASE_MS: intEnv(1000, 600_000)
    .default(30_000)
    .describe('how long a running operation stays claimed without a heartbeat from its worker; a crashed worker is taken over after about this long'),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export const loadWorkerEnv = (source: NodeJS.ProcessEnv): Readonly<WorkerEnv> =>
  Object.freeze(parseEnv(workerEnvSchema, source));
