import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { uniqueQueuePrefix } from '@nembl/testkit';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export interface ApiProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
  /** Its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/**
 * The API process as `npm start` runs it (src/main.ts, through tsx), in production mode with keys
 * of its own, on `port`, a test database and a fresh queue prefix; `env` adds or overrides.
 */
export const spawnApiProcess = (opts: {
  port: number;
  databaseUrl: string;
  dataDir: string;
  env?: Record<string, string>;
}): ApiProcess => {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', join(repoRoot, 'apps/api/src/main.ts')],
    {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        PORT: String(opts.port),
        DATABASE_URL: opts.databaseUrl,
        REDIS_URL: 'redis://127.0.0.1:6379',
        NEMBL_QUEUE_PREFIX: uniqueQueuePrefix(),
        NEMBL_MASTER_KEY: randomBytes(32).toString('base64'),
        NEMBL_SESSION_SECRET: randomBytes(32).toString('base64'),
        NEMBL_DATA_DIR: opts.dataDir,
        NEMBL_BOOTSTRAP_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
        SECRET_STORE: 'local',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
};
