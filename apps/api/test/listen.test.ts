import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@nembl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnApiProcess } from './api-process.js';

// The API process as `npm start` runs it (src/main.ts), on a port another process holds.
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
      const api = spawnApiProcess({
        port: (holder.address() as AddressInfo).port,
        databaseUrl: db.url,
        dataDir,
        env: { NEMBL_API_PROCESSES: processes },
      });
      const timer = setTimeout(() => api.child.kill('SIGKILL'), 40_000);
      const exit = await api.exited;
      clearTimeout(timer);
      const out = api.output();
      expect(out).toContain('api could not listen');
      expect(out).toContain('EADDRINUSE');
      expect(out).not.toContain('"api listening"');
      expect(exit).toBe(1);
    },
    60_000,
  );
});
