import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './moto.js';

export interface OwnRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL) and starts an empty one on the same port: every key is lost. */
  restartEmpty(): Promise<void>;
  /** Everything the server holds, as written by SAVE (uncompressed, so a value would show in it). */
  snapshot(): Promise<Buffer>;
  stop(): Promise<void>;
}

/**
 * A `redis-server` of the test's own, on a free loopback port, with no persistence: for tests
 * that must lose Redis's data, which the shared Redis must never do.
 */
export const startOwnRedis = async (): Promise<OwnRedis> => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nembl-redis-'));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const c = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--rdbcompression',
        'no',
        '--dir',
        dir,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    child = c;
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        await delay(50);
      }
    }
    probe.disconnect();
    throw new Error(`redis-server did not start on port ${port}`);
  };

  const kill = async () => {
    child?.kill('SIGKILL');
    await exited;
    child = undefined;
  };
  const onExit = () => child?.kill('SIGKILL');
  process.once('exit', onExit);
  await launch();

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restartEmpty: async () => {
      await kill();
      await launch();
    },
    snapshot: async () => {
      const c = new Redis({ port, host: '127.0.0.1' });
      try {
        await c.save();
      } finally {
        c.disconnect();
      }
      return readFileSync(join(dir, 'dump.rdb'));
    },
    stop: async () => {
      process.removeListener('exit', onExit);
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
