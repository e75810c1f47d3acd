// One side of the write pipeline's floor (see pipeline-floor.mjs), run as its own process like the
// API and the worker: ROLE=producer or ROLE=worker. No HTTP, no Express, no auth, policy, zod or
// sealing: only the hops and commits a create goes through, one statement or command per hop.
//   producer: FLOOR_CONNECTIONS loops, each: INSERT the operation with its audit row (one
//             statement, synchronous commit) → BullMQ add (the job carries the id only) → wait for
//             the outcome on Redis pub/sub → next. With FLOOR_RATE, the same creates open loop
//             instead, FLOOR_RATE a second, each timed from its scheduled start. Prints
//             {"done": n, "seconds": s, "p50": ms, "p99": ms per create} at the end.
//   worker:   a BullMQ Worker (FLOOR_WORKER_CONCURRENCY): claim (UPDATE … RETURNING, asynchronous
//             commit) → store row INSERT (asynchronous commit) → finish with its audit row (one
//             statement, synchronous commit) → PUBLISH the outcome.
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';

const {
  ROLE,
  DATABASE_URL,
  REDIS_URL,
  FLOOR_PREFIX: PREFIX,
  FLOOR_TABLE: T,
  FLOOR_CONNECTIONS = '50',
  FLOOR_DURATION_S = '5',
  FLOOR_WORKER_CONCURRENCY = '8',
  FLOOR_RATE,
} = process.env;
const QUEUE = 'floor-operations';
const CHANNEL = `${PREFIX}:floor-outcomes`;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });

if (ROLE === 'worker') {
  const pub = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const worker = new Worker(
    QUEUE,
    async (job) => {
      const id = job.data.operationId;
      const claim = await pool.query(
        `WITH c AS (UPDATE ${T}_ops SET status = 'running' WHERE id = $1 AND status = 'queued' RETURNING id, sealed)
         SELECT set_config('synchronous_commit', 'off', true), c.* FROM c`,
        [id],
      );
      if (claim.rows.length === 0) return 'missing';
      await pool.query(
        `WITH s AS (INSERT INTO ${T}_store (op_id, value) VALUES ($1, $2) RETURNING op_id)
         SELECT set_config('synchronous_commit', 'off', true), s.op_id FROM s`,
        [id, claim.rows[0].sealed],
      );
      const done = await pool.query(
        `WITH f AS (UPDATE ${T}_ops SET status = 'succeeded', sealed = NULL, finished_at = now() WHERE id = $1 AND status = 'running' RETURNING id, status, finished_at),
              a AS (INSERT INTO ${T}_audit (op_id, event) SELECT id, json_build_object('action', 'secrets:create_succeeded') FROM f)
         SELECT json_build_object('id', f.id, 'status', f.status, 'finishedAt', f.finished_at)::text AS outcome FROM f`,
        [id],
      );
      if (done.rows[0]) await pub.publish(CHANNEL, done.rows[0].outcome);
      return 'succeeded';
    },
    {
      connection: { url: REDIS_URL, maxRetriesPerRequest: null },
      prefix: PREFIX,
      concurrency: Number(FLOOR_WORKER_CONCURRENCY),
    },
  );
  const stopWorker = async () => {
    await worker.close();
    pub.disconnect();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stopWorker());
  worker.on('ready', () => process.stdout.write('ready\n'));
} else {
  const queue = new Queue(QUEUE, { connection: { url: REDIS_URL, maxRetriesPerRequest: 1 }, prefix: PREFIX });
  const sub = new Redis(REDIS_URL);
  const waiting = new Map();
  sub.on('message', (_ch, msg) => {
    const id = JSON.parse(msg).id;
    waiting.get(id)?.();
    waiting.delete(id);
  });
  await sub.subscribe(CHANNEL);
  await queue.waitUntilReady();
  process.stdout.write('ready\n');
  // Starts when the parent says so (stdin line), so the worker is up first.
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const end = performance.now() + Number(FLOOR_DURATION_S) * 1000;
  const t0 = performance.now();
  let done = 0;
  const latencies = [];
  /** One create, timed from `since` (its start, or its scheduled time in the open loop). */
  const create = async (since) => {
    const id = randomUUID();
    const outcome = new Promise((resolve) => waiting.set(id, resolve));
    await pool.query(
      `WITH o AS (INSERT INTO ${T}_ops (id, status, sealed) VALUES ($1, 'queued', $2) RETURNING id)
       INSERT INTO ${T}_audit (op_id, event) SELECT id, json_build_object('action', 'secrets:create') FROM o`,
      [id, randomBytes(48)],
    );
    await queue.add(QUEUE, { operationId: id }, { jobId: id, removeOnComplete: { age: 3600 } });
    await outcome;
    latencies.push(performance.now() - since);
    done++;
  };
  if (FLOOR_RATE) {
    // Open loop: each create starts at its scheduled time whatever the earlier ones are doing.
    const interval = 1000 / Number(FLOOR_RATE);
    const started = [];
    for (let i = 0; t0 + i * interval < end; i++) {
      const at = t0 + i * interval;
      const wait = at - performance.now();
      if (wait > 1) await delay(wait);
      started.push(create(at));
    }
    await Promise.all(started);
  } else {
    await Promise.all(
      Array.from({ length: Number(FLOOR_CONNECTIONS) }, async () => {
        while (performance.now() < end) await create(performance.now());
      }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] : 0;
  process.stdout.write(`${JSON.stringify({ done, seconds, p50: at(0.5), p99: at(0.99) })}\n`);
  await queue.close();
  sub.disconnect();
  await pool.end();
  process.exit(0);
}
