// The write rows of bench/hot-paths.mjs (issue #12): creates at saturation and at a fixed rate,
// each next to a floor measured in the same run.
//
// - Accepted creates/s: autocannon (BENCH_WRITE_CONNECTIONS=50 connections, BENCH_DURATION_S) posts
//   creates with unique names; every 201/202 counts. Floor: plain Postgres INSERT commits/s from the
//   same number of connections (one synchronous commit each, into a throwaway table): the least a
//   durable write costs here. The API commits once per create and the worker twice more.
// - (for scale) the pipeline alone (pipeline-floor.mjs): the same hops and commits as a create with bare
//   node-postgres and BullMQ in two processes and no API, BENCH_WRITE_CONNECTIONS waiting producers,
//   worker concurrency as many: what this machine allows the accept → enqueue → process → finish
//   pipeline, next to the same commit floor.
// - Worker completions/s: operations that reached `succeeded` with a finish time inside the same
//   window, next to the accepted rate (1.0× = the worker keeps up).
// - p99 at BENCH_WRITE_RATE=200 creates/s, open loop: each request is sent at its scheduled time
//   on its own connection whatever the earlier ones are doing, and its latency counts from that time
//   (no coordinated omission), once the worker has chained the saturation's audit events and no
//   autovacuum runs on the database. Floor: the same schedule against the bare node:http server; and
//   "(for scale)" the bare pipeline on the same schedule, next to the 50 ms target.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import autocannon from 'autocannon';
import pg from 'pg';
import { pipelineFloor } from './pipeline-floor.mjs';
import { checkStop, log } from './run.mjs';
import { stats } from './stats.mjs';
import { rand } from './system.mjs';

const CONNECTIONS = Number(process.env.BENCH_WRITE_CONNECTIONS ?? 50);
const RATE = Number(process.env.BENCH_WRITE_RATE ?? 200);

const createBody = (name) => JSON.stringify({ name, value: randomBytes(24).toString('base64url') });

/** Creates under autocannon for `durationS`; the accepted count and the window it ran in (epoch ms). */
const saturate = (base, auth, durationS) =>
  new Promise((resolve, reject) => {
    const prefix = `sat-${rand()}`;
    let n = 0;
    const startedAt = Date.now();
    autocannon(
      {
        url: `${base}/api/v1/secrets`,
        connections: CONNECTIONS,
        duration: durationS,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            setupRequest: (req) => ({ ...req, body: createBody(`${prefix}-${n++}`) }),
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const endedAt = Date.now();
        const accepted = r['2xx'];
        if (r.non2xx + r.errors + r.timeouts > 0) {
          return reject(new Error(`saturation: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`));
        }
        resolve({ accepted, startedAt, endedAt, latencyP99: r.latency.p99 });
      },
    );
  });

/** Plain INSERT commits/s from CONNECTIONS connections for `durationS` (each its own transaction). */
const postgresCommitFloor = async (databaseUrl, durationS) => {
  const table = `bench_commit_floor_${rand()}`;
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      return c;
    }),
  );
  let commits = 0;
  const end = performance.now() + durationS * 1000;
  try {
    await Promise.all(
      clients.map(async (c) => {
        while (performance.now() < end) {
          await c.query(`INSERT INTO ${table} DEFAULT VALUES`);
          commits++;
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await admin.query(`DROP TABLE ${table}`);
    await admin.end();
  }
  return commits / durationS;
};

/** Sends `send()` at `rate`/s for `durationS`, open loop; latencies (ms) from each scheduled time. */
const openLoop = async (rate, durationS, send) => {
  const total = Math.round(rate * durationS);
  const interval = 1000 / rate;
  const t0 = performance.now() + 50;
  const latencies = [];
  const inFlight = [];
  for (let i = 0; i < total; i++) {
    checkStop();
    const at = t0 + i * interval;
    const wait = at - performance.now();
    if (wait > 1) await delay(wait);
    inFlight.push(
      send(i).then(
        (ok) => {
          if (!ok) throw new Error(`open loop: request ${i} was refused`);
          latencies.push(performance.now() - at);
        },
        (err) => {
          throw err;
        },
      ),
    );
  }
  await Promise.all(inFlight);
  return stats(latencies);
};

const post = (agent, url, headers, body) =>
  new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const get = (agent, url) =>
  new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      })
      .on('error', reject);
  });

/**
 * Runs the write rows against a system on the local store; `row(path, what, value, floor, unit,
 * target, higherIsBetter)` prints and records each.
 */
export const writeRows = async ({ sys, auth, floorBase, durationS, row, settle }) => {
  // Saturation, then the commit floor on the same database.
  const sat = await saturate(sys.base, auth, durationS);
  const seconds = (sat.endedAt - sat.startedAt) / 1000;
  const acceptedPerS = sat.accepted / seconds;
  // Let the worker finish what was accepted at the end of the window before counting.
  const c = new pg.Client({ connectionString: sys.databaseUrl });
  await c.connect();
  let completedPerS;
  try {
    for (let i = 0; i < 100; i++) {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM operations WHERE status IN ('queued', 'running')`);
      if (rows[0].n === 0) break;
      await delay(100);
    }
    const { rows } = await c.query(
      `SELECT count(*)::int AS n FROM operations WHERE status = 'succeeded' AND finished_at >= $1 AND finished_at < $2`,
      [new Date(sat.startedAt), new Date(sat.endedAt)],
    );
    completedPerS = rows[0].n / seconds;
  } finally {
    await c.end();
  }
  const commitFloor = await postgresCommitFloor(sys.databaseUrl, durationS);
  const { perS: pipeline } = await pipelineFloor({
    databaseUrl: sys.databaseUrl,
    connections: CONNECTIONS,
    durationS,
    workerConcurrency: CONNECTIONS,
  });
  log(`saturation: ${sat.accepted} accepted in ${seconds.toFixed(1)} s (client p99 ${sat.latencyP99} ms)`);
  row(
    `POST /api/v1/secrets at saturation (local, ${CONNECTIONS} connections)`,
    'accepted creates/s',
    acceptedPerS,
    commitFloor,
    'req/s',
    `≥ 1,000/s (floor: Postgres INSERT commits/s, ${CONNECTIONS} connections)`,
    true,
  );
  row(
    `(for scale) accept → enqueue → process → finish, bare node-postgres + BullMQ, no API (${CONNECTIONS} waiting producers)`,
    'completed creates/s',
    pipeline,
    commitFloor,
    'req/s',
    '— (floor: Postgres INSERT commits/s, as above)',
    true,
  );
  row(
    'worker at saturation (local, same window)',
    'operations succeeded/s',
    completedPerS,
    acceptedPerS,
    'op/s',
    '≥ 1.0× (floor column: accepted creates/s)',
    true,
  );

  // Open loop at a fixed rate, once the saturation's after-work is done (`settle`): a steady 200/s
  // carries its own drain and vacuum, not the backlog of a burst. The floors first (the bare
  // pipeline, then node:http), then the creates.
  await settle();
  const { p99: pipelineP99 } = await pipelineFloor({
    databaseUrl: sys.databaseUrl,
    connections: CONNECTIONS,
    durationS,
    workerConcurrency: CONNECTIONS,
    rate: RATE,
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  try {
    const floor = await openLoop(RATE, durationS, async () => (await get(agent, `${floorBase}/`)) === 200);
    const prefix = `rate-${rand()}`;
    const url = `${sys.base}/api/v1/secrets`;
    const creates = await openLoop(RATE, durationS, async (i) => {
      const status = await post(agent, url, auth, createBody(`${prefix}-${i}`));
      return status === 201 || status === 202;
    });
    log(
      `open loop at ${RATE}/s: creates p50 ${creates.p50.toFixed(2)} ms p99 ${creates.p99.toFixed(2)} ms; floor p99 ${floor.p99.toFixed(2)} ms`,
    );
    row(
      `POST /api/v1/secrets at ${RATE} writes/s (local, open loop)`,
      'p99',
      creates.p99,
      floor.p99,
      'ms',
      '≤ 50 ms (floor: bare node:http, same schedule)',
      false,
    );
    row(
      `(for scale) the bare pipeline (node-postgres + BullMQ, no API) at ${RATE} creates/s, open loop`,
      'p99',
      pipelineP99,
      50,
      'ms',
      '— (floor column: the 50 ms target)',
      false,
    );
  } finally {
    agent.destroy();
  }
};
