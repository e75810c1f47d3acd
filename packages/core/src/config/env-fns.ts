import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { normalizeQueuePrefix } from '../queues/queue-keys.js';

/** Thrown when configuration is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Variables every process shares. Apps extend this in their own `env.ts`.
 * Defaults are for development only; `finalizeEnv` refuses to run production without real keys.
 */
export const sharedEnvSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'])
    .default('development')
    .describe('`production` turns off generated keys and development defaults'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .describe('pino log level'),
  DATABASE_URL: z.string().url().optional().describe('Postgres connection URL'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379').describe('Redis connection URL'),
  NEMBL_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/, 'letters, digits, _, -, {} only')
    // A Redis Cluster hash tag, so all keys of the deployment share one slot: `nembl` → `{nembl}`.
    .transform(normalizeQueuePrefix)
    .default('{nembl}')
    .describe('Redis key prefix of queues and shared limits (wrapped in a {hash tag} unless it has one)'),
  NEMBL_MASTER_KEY: z.string().optional().describe('32 bytes, base64: seals payloads, wraps data keys'),
  NEMBL_SESSION_SECRET: z.string().optional().describe('signs session cookies and CSRF tokens'),
  NEMBL_DATA_DIR: z.string().default('.data').describe('development-only state (generated keys)'),
  SECRET_STORE: z.enum(['local', 'aws']).default('local').describe('secret store driver'),
  AWS_REGION: z.string().default('us-east-1').describe('AWS region for the aws driver'),
  AWS_ENDPOINT_URL: z.string().url().optional().describe('AWS endpoint override (emulators only)'),
  NEMBL_STORE_WRITES_PER_SEC: intIn(1, 10_000)
    .default(45)
    .describe('AWS Secrets Manager write calls per second, shared by all worker processes writing to the region'),
  NEMBL_PUBLIC_URL: z.string().url().default('http://localhost:8080').describe('base URL for links'),
  NEMBL_WRITE_WAIT_MS: intIn(0, 60_000).default(3000).describe('write wait before 202'),
  NEMBL_REMINDER_SCAN_EVERY_MS: intIn(1000, 86_400_000).default(60_000).describe('reminder scan interval'),
  NEMBL_REMINDER_REPEAT_DAYS: intIn(1, 365).default(7).describe('repeat unrotated reminders every N days'),
  NEMBL_RUN_TTL_HOURS: intIn(1, 24 * 365).default(24).describe('run lifetime'),
  SMTP_URL: z.string().default('smtp://127.0.0.1:1025').describe('SMTP relay URL'),
  NEMBL_MAIL_FROM: z.string().default('Nembl Secrets <no-reply@nembl.local>').describe('From header'),
});

export const booleanEnv = bool;
export const intEnv = intIn;

export type SharedEnv = z.infer<typeof sharedEnvSchema>;

export interface ResolvedKeys {
  databaseUrl: string;
  masterKey: Buffer;
  sessionSecret: Buffer;
}

const DEV_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/nembl';

/** Parses `source` with `schema`, turning zod issues into one ConfigError naming each variable. */
export const parseEnv = <S extends z.ZodType>(schema: S, source: NodeJS.ProcessEnv): z.infer<S> => {
  // `FOO=` in an env file means "not set", not "set to nothing".
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
};

const decodeKey = (name: string, value: string): Buffer => {
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new ConfigError(`${name} must be 32 bytes encoded as base64 (got ${key.length} bytes)`);
  return key;
};

/**
 * Reads a development key from `dir/file`, creating it (0600) on first use. `wx` makes creation
 * race-free when api and worker start at the same moment: the loser reads the winner's file.
 */
export const loadOrCreateDevKey = (dir: string, file: string): { key: Buffer; created: boolean } => {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  const path = join(abs, file);
  try {
    const fresh = randomBytes(32);
    writeFileSync(path, fresh.toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
    chmodSync(path, 0o600);
    return { key: fresh, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: decodeKey(path, readFileSync(path, 'utf8').trim()), created: false };
  }
};

/**
 * Production needs real keys and a database URL; development generates keys into NEMBL_DATA_DIR.
 * `warn` is told once when a development key was generated.
 */
export const resolveKeys = (env: SharedEnv, warn: (msg: string) => void): ResolvedKeys => {
  if (env.NODE_ENV === 'production') {
    const missing = (['DATABASE_URL', 'NEMBL_MASTER_KEY', 'NEMBL_SESSION_SECRET'] as const).filter((k) => !env[k]);
    if (missing.length > 0) {
      throw new ConfigError(`Refusing to start in production without: ${missing.join(', ')}`);
    }
  }
  const fromEnvOrDev = (name: 'NEMBL_MASTER_KEY' | 'NEMBL_SESSION_SECRET', file: string): Buffer => {
    const value = env[name];
    if (value) return decodeKey(name, value);
    const { key, created } = loadOrCreateDevKey(env.NEMBL_DATA_DIR, file);
    if (created) warn(`${name} is not set: generated a development key into ${join(env.NEMBL_DATA_DIR, file)}. Never use it in production.`);
    return key;
  };
  return {
    databaseUrl: env.DATABASE_URL ?? DEV_DATABASE_URL,
    masterKey: fromEnvOrDev('NEMBL_MASTER_KEY', 'master.key'),
    sessionSecret: fromEnvOrDev('NEMBL_SESSION_SECRET', 'session.key'),
  };
};
