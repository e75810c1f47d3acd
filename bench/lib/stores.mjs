// The secret stores a bench runs against: `local`, and `aws` against a fresh moto server.
import { setTimeout as delay } from 'node:timers/promises';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { scope, stop } from './run.mjs';
import { childFailure, freePort, startChild, stopChild } from './system.mjs';

/** BENCH_STORES (local,aws), checked; exits 1 on an unknown store. */
export const parseStores = () => {
  const stores = (process.env.BENCH_STORES ?? 'local,aws')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of stores) {
    if (s !== 'local' && s !== 'aws') {
      process.stderr.write(`BENCH_STORES: unknown store ${s} (local, aws)\n`);
      process.exit(1);
    }
  }
  return stores;
};

/** Starts `python3 -m moto.server` on a free port (3 tries: the port can be taken in between). */
export const startMoto = async (defer) => {
  for (let tries = 0; tries < 3; tries++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    // Its own process group, so stopping it also stops anything python started.
    const rec = startChild(
      'moto',
      'python3',
      ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)],
      process.env,
      {
        group: true,
      },
    );
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (rec.exited) break;
      try {
        await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
        defer('stop moto', () => stopChild(rec));
        return endpoint;
      } catch {
        // not yet
      }
      if (Date.now() > deadline || stop.signal.aborted) {
        await stopChild(rec);
        throw new Error(`moto did not answer on ${endpoint} within 30 s:\n${rec.tail.trim()}`);
      }
      await delay(100);
    }
    if (/No module named/i.test(rec.tail)) {
      throw new Error(`moto is not installed (pip install 'moto[server]'):\n${rec.tail.trim()}`);
    }
    if (!/address already in use/i.test(rec.tail)) throw childFailure(rec);
  }
  throw new Error('moto could not bind a free port after 3 tries');
};

/** A Secrets Manager client for moto, configured like the aws driver's (no retries, short timeouts). */
export const motoClient = (endpoint) =>
  new SecretsManagerClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
    requestHandler: { requestTimeout: 10_000, connectionTimeout: 3000, throwOnRequestTimeout: true },
  });

/**
 * Runs body(store, storeEnv, motoEndpoint) for each store in turn. `aws` gets a fresh moto that is
 * stopped when its body ends; `local` gets no endpoint.
 */
export const eachStore = async (stores, body) => {
  for (const store of stores) {
    if (store === 'local') {
      await body('local', { SECRET_STORE: 'local' });
    } else {
      await scope(async (defer) => {
        const endpoint = await startMoto(defer);
        await body(
          'aws',
          {
            SECRET_STORE: 'aws',
            AWS_ENDPOINT_URL: endpoint,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'test',
            AWS_SECRET_ACCESS_KEY: 'test',
          },
          endpoint,
        );
      });
    }
  }
};
