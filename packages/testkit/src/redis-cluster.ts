import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { freePort } from './moto.js';

export interface RedisClusterNode {
  /** `redis://127.0.0.1:<port>`: a plain client works, since this node owns every slot. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A one-node Redis Cluster on a loopback port, owning all 16,384 slots, without persistence.
 * Cluster mode enforces the slot rules even on one node: a multi-key command or a Lua script whose
 * keys hash to different slots fails with CROSSSLOT, which is what the key-shape tests look for.
 */
export const startRedisClusterNode = async (): Promise<RedisClusterNode> => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nembl-redis-cluster-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const admin = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  admin.on('error', () => undefined);
  try {
    for (let i = 0; admin.status !== 'ready'; i++) {
      if (i > 100 || child.exitCode !== null) throw new Error(`redis-server did not start on port ${port}`);
      await delay(50);
    }
    await admin.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    for (let i = 0; !/cluster_state:ok/.test(String(await admin.call('CLUSTER', 'INFO'))); i++) {
      if (i > 100) throw new Error('one-node cluster did not become ready');
      await delay(50);
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    admin.disconnect();
  }
  return { url, stop };
};
