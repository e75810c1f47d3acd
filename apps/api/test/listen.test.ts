import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, uniqueQueuePrefix, type TestDatabase } from '@nembl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The API process as `npm start` runs it (src/main.ts), on a port another process holds.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
let db: TestDatabase;
let holder: Server;
let dataDir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  holder = createServer().listen(0, '0.0.0.0');
  await new Promise((r) => holder.once('listening', r));
  dataDir = mkdtempSync(join(tmpdir(), 'nembl-listen-'));
}, 60_000);
afterAll(async () => {
  await new Promise((r) => holder?.close(r));
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the api process', () => {
  it.each(['1', '2'])(
    'exits 1 saying it could not listen when its port is taken, instead of running on without serving (NEMBL_API_PROCESSES=%s)',
    async (processes) => {
      const port = (holder.address() as AddressInfo).port;
      const child = spawn(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', join(repoRoot, 'apps/api/src/main.ts')],
        {
          cwd: repoRoot,
          env: {
            PATH: process.env.PATH ?? '',
            NODE_ENV: 'production',
            LOG_LEVEL: 'info',
            PORT: String(port),
            DATABASE_URL: db.url,
            REDIS_URL: 'redis://127.0.0.1:6379',
            NEMBL_QUEUE_PREFIX: uniqueQueuePrefix(),
            NEMBL_MASTER_KEY: randomBytes(32).toString('base64'),
            NEMBL_SESSION_SECRET: randomBytes(32).toString('base64'),
            NEMBL_DATA_DIR: dataDir,
            NEMBL_BOOTSTRAP_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
            SECRET_STORE: 'local',
            NEMBL_API_PROCESSES: processes,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
      const exit = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 40_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
      expect(out).toContain('api could not listen');
      expect(out).toContain('EADDRINUSE');
      expect(out).not.toContain('"api listening"');
      expect(exit).toBe(1);
    },
    60_000,
  );
});
