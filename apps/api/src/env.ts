import { booleanEnv, intEnv, parseEnv, sharedEnvSchema } from '@nembl/core';
import { z } from 'zod';

const DEFAULT_BLOCKED_CIDRS = '169.254.0.0/16, fe80::/10, fd00:ec2::254/128, 100.100.100.200/32, 0.0.0.0/8';

export const apiEnvSchema = sharedEnvSchema.extend({
  PORT: intEnv(0, 65_535).default(8080).describe('HTTP port of the API and console'),
  NEMBL_ALLOW_SIGNUP: booleanEnv.default(true).describe('self-service company signup'),
  NEMBL_BOOTSTRAP_COMPANY: z.string().min(1).max(128).default('Nembl').describe('first company name'),
  NEMBL_BOOTSTRAP_ADMIN_EMAIL: z.string().email().default('admin@nembl.local').describe('first admin email'),
  NEMBL_BOOTSTRAP_ADMIN_PASSWORD: z
    .string()
    .min(12)
    .max(256)
    .optional()
    .describe('first admin password (generated and printed once if unset)'),
  NEMBL_RATE_LIMIT_LOGIN_PER_MIN: intEnv(1, 100_000).default(10).describe('login attempts per minute per IP and email; password change attempts per user'),
  NEMBL_RATE_LIMIT_API_PER_MIN: intEnv(1, 10_000_000).default(6000).describe('requests per minute per session or token'),
  NEMBL_CONNECTOR_BLOCKED_CIDRS: z.string().default(DEFAULT_BLOCKED_CIDRS).describe('connector targets refused after DNS'),
  NEMBL_CONNECTOR_TEST_TIMEOUT_MS: intEnv(100, 600_000)
    .default(10_000)
    .describe('overall deadline of a connector test call, from connect to the last byte read'),
  NEMBL_CONNECTOR_TEST_MAX_BYTES: intEnv(1, 1024 * 1024 * 1024)
    .default(1024 * 1024)
    .describe('bytes of a connector test response read before the call is answered with its status'),
  NEMBL_SHUTDOWN_DRAIN_MS: intEnv(0, 300_000)
    .default(5000)
    .describe('after SIGTERM, how long /readyz answers 503 (while requests are still served) before the server stops accepting'),
  NEMBL_API_PROCESSES: intEnv(1, 64)
    .default(1)
    .describe('API processes sharing PORT (node:cluster); default 1 (npm start: one per core, at most 4)'),
  NEMBL_TRUST_PROXY: z
    .string()
    .default('loopback')
    .describe('Express trust proxy setting, for the client IP behind a load balancer'),
});

export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const loadApiEnv = (source: NodeJS.ProcessEnv): Readonly<ApiEnv> => Object.freeze(parseEnv(apiEnvSchema, source));
