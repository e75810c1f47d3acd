// The write pipeline's floor on this machine: accept → enqueue → process → finish with bare
// node-postgres and BullMQ, no API (pipeline-floor-child.mjs has the two sides). It makes the same
// hops and commits as a create (the operation with its audit row, synchronous; the claim and the
// store row, asynchronous; the finish with its audit row, synchronous; the outcome over pub/sub to
// the waiting side), in two processes like the API and the worker, so the accepted creates/s at
// saturation can be read against what the machine allows for the pipeline itself.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { log } from './run.mjs';
import { deleteRedisKeys, rand, REDIS_URL } from './system.mjs';

const CHILD = fileURLToPath(new URL('./pipeline-floor-child.mjs', import.meta.url));

/** CPU time (ms) a process has used so far; 0 once it is gone. */
const cpuMs = (pid) => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
};

const start = (role, env) => {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, ...env, ROLE: role },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err = `${err}${c}`.slice(-2000)));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const line = async (pred, ms) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = out.split('\n').find(pred);
      if (found) return found;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`pipeline floor ${role}: ${err || 'no answer'}`);
      await delay(20);
    }
  };
  return { child, line, exited };
};

/**
 * Completed creates/s of the bare pipeline for `durationS` with `connections` waiting producers
 * (or, with `rate`, creates sent open loop at `rate`/s), and the p50 and p99 ms of one create.
 */
export const pipelineFloor = async ({ databaseUrl, connections, durationS, workerConcurrency = 8, rate }) => {
  const table = `bench_pipeline_${rand()}`;
  const prefix = `{nembl-bench-floor-${rand()}}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE TABLE ${table}_ops (id uuid PRIMARY KEY, status text NOT NULL, sealed bytea, finished_at timestamptz,
                       created_at timestamptz NOT NULL DEFAULT now());
                     CREATE TABLE ${table}_store (id bigserial PRIMARY KEY, op_id uuid NOT NULL UNIQUE, value bytea, created_at timestamptz NOT NULL DEFAULT now());
                     CREATE TABLE ${table}_audit (id bigserial PRIMARY KEY, op_id uuid NOT NULL, event jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    FLOOR_PREFIX: prefix,
    FLOOR_TABLE: table,
    FLOOR_CONNECTIONS: String(connections),
    FLOOR_DURATION_S: String(durationS),
    FLOOR_WORKER_CONCURRENCY: String(workerConcurrency),
    ...(rate ? { FLOOR_RATE: String(rate) } : {}),
  };
  const worker = start('worker', env);
  let producer;
  try {
    await worker.line((l) => l === 'ready', 20_000);
    producer = start('producer', env);
    await producer.line((l) => l === 'ready', 20_000);
    const cpu0 = cpuMs(producer.child.pid) + cpuMs(worker.child.pid);
    producer.child.stdin.write('go\n');
    const result = JSON.parse(await producer.line((l) => l.startsWith('{'), (durationS + 30) * 1000));
    const cpu = cpuMs(producer.child.pid) + cpuMs(worker.child.pid) - cpu0;
    const perS = result.done / result.seconds;
    log(
      `pipeline floor${rate ? ` (open loop at ${rate}/s)` : ''}: ${result.done} creates in ${result.seconds.toFixed(1)} s = ${perS.toFixed(0)}/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms; node CPU (both sides) ${(cpu / Math.max(1, result.done)).toFixed(2)} ms per create`,
    );
    return { perS, p50: result.p50, p99: result.p99 };
  } finally {
    for (const p of [producer, worker]) {
      if (p && p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await Promise.race([p.exited, delay(5000)]);
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
      }
    }
    await admin.query(`DROP TABLE IF EXISTS ${table}_ops, ${table}_store, ${table}_audit`);
    await admin.end();
    await deleteRedisKeys(prefix);
  }
};
