import { intEnv, parseEnv, sharedEnvSchema } from '@nembl/core';
import type { z } from 'zod';

export const workerEnvSchema = sharedEnvSchema.extend({
  // Secret operations share their claim, store write and finish statements while others are in
  // flight (batchWhileBusy), so a few dozen at once cost fewer statements each than eight do.
  NEMBL_WORKER_CONCURRENCY: intEnv(1, 256)
    .default(64)
    .describe('secret operations processed at once in this process'),
  NEMBL_OPERATION_LEASE_MS: intEnv(1000, 600_000)
    .default(30_000)
    .describe('how long a running operation stays claimed without a heartbeat from its worker; a crashed worker is taken over after about this long'),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export const loadWorkerEnv = (source: NodeJS.ProcessEnv): Readonly<WorkerEnv> =>
  Object.freeze(parseEnv(workerEnvSchema, source));
