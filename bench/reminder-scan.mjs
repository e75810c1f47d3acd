// Rotation reminders at scale: the scan over 1,000,000 secrets, and email delivery to a real SMTP sink.
//   npx turbo run build --output-logs=errors-only && node bench/reminder-scan.mjs
// Needs Postgres on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379.
//
// Creates a throwaway database `nembl_bench_rem_<random>`, runs the migrations and seeds one company,
// 3 admins, 20 other users and 1,000,000 active secrets with one INSERT … SELECT generate_series:
//   - every 100th secret (10,000) is overdue by 1–6 days (interval 90 d, never notified: next notify = due);
//     half of those (every 200th) have an owner, the other half fall back to the 3 admins;
//   - 590,000 have a reminder (30/60/90 d) due in the future (they sit in the partial index too);
//   - 400,000 have no reminder. Every 10th secret has an owner (≈95,000 secret_owners rows).
// Autovacuum is switched off on the bench tables so every state below is deliberate; after seeding
// it runs ANALYZE and then VACUUM (what autovacuum would have done on a table this old).
//
// Then it times, with the built worker code (`apps/worker/dist`):
//   (b0) the scan with nothing due on the fresh state (scan time 8 days ago, before every due date),
//   (a)  one scan that claims the 10,000 due secrets and enqueues their 10,000 email jobs,
//   (b1) the scan again right after (a): nothing is owed, but the 10,000 claimed rows left dead
//        entries in the partial index (the empty claim that ends (a) already walks over them; an
//        EXPLAIN with a forced bitmap scan, which never marks entries dead, is shown as well),
//   (b2) the same after VACUUM (the steady state once autovacuum has run),
//   (c)  delivery: `composeWorker` (the real worker wiring: email concurrency 20, `smtpMailerFactory`
//        as it is, audit worker draining the outbox) sends the 10,000 queued emails to a
//        counting SMTP sink (`smtp-server`, no parsing) running in a worker thread; the rate is
//        measured from the first to the 10,000th message the sink accepted;
//   (c′) the same for a second set of occurrences (the same secrets due a day earlier, claimed by a
//        second scan, timed as (a′)) with the mailer fix suggested in bench/RESULTS.md applied
//        bench-locally through `composeWorker`'s `mailer` option (BENCH_MAILER_FIX=0 skips it).
// Each nothing-due case: BENCH_RUNS (20) timed `scan()` calls (median, p95), plus the whole scan job
// body (scan + sweep) and EXPLAIN (ANALYZE, BUFFERS) of the claim query.
//
// Everything it creates (database, Redis keys under `bench-rem-<random>:`, the sink thread,
// connections) is removed at the end, also on failure, Ctrl-C or the time budget (< 8 min).
//
// Knobs (environment): BENCH_SECRETS (1000000), BENCH_DUE_EVERY (100: every Nth secret is due),
// BENCH_RUNS (20), BENCH_MAILER_FIX (1), BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/postgres),
// REDIS_URL (redis://127.0.0.1:6379), BENCH_BUDGET_MS (450000; capped there).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker as Thread } from 'node:worker_threads';
// Node built-ins only, so the SMTP sink thread (this same file) loads nothing heavy.
import { checkStop, defer, finish, forget, log, startBench, stop, wallTimeLine } from './lib/run.mjs';
import { fixed as f, procCpuMs, stats, timed } from './lib/stats.mjs';

const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// The SMTP sink (worker thread): accepts everything, counts messages, parses nothing.

if (!isMainThread) {
  const { SMTPServer } = await import('smtp-server');
  let count = 0;
  let rcpts = 0;
  let conns = 0;
  let first = 0;
  let target = Infinity;
  let doneAt = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    maxClients: 1000,
    onConnect(_session, callback) {
      conns += 1;
      callback();
    },
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        rcpts += session.envelope.rcptTo.length;
        callback();
        const t = now();
        count += 1;
        if (count === 1) first = t;
        if (count === target) {
          doneAt = t;
          parentPort.postMessage({ type: 'done', count, rcpts, conns, first, last: t });
        }
      });
    },
  });
  parentPort.on('message', (m) => {
    if (m.type === 'expect') {
      if (m.reset) {
        count = 0;
        rcpts = 0;
        conns = 0;
        first = 0;
        doneAt = 0;
      }
      target = m.n;
      if (count >= target && !doneAt) parentPort.postMessage({ type: 'done', count, rcpts, conns, first, last: now() });
    }
    if (m.type === 'stats') parentPort.postMessage({ type: 'stats', count, rcpts, first, last: doneAt });
    if (m.type === 'close') server.close(() => process.exit(0));
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'ready', port: server.server.address().port }));
} else {
  await main();
}

async function main() {
  const ROOT = fileURLToPath(new URL('..', import.meta.url));
  const CORE = join(ROOT, 'packages/core/dist/index.js');
  const SCAN = join(ROOT, 'apps/worker/dist/reminders/reminder-scan.js');
  const REPO = join(ROOT, 'apps/worker/dist/reminders/reminder-repository.js');
  const COMPOSE = join(ROOT, 'apps/worker/dist/compose.js');
  const ENV = join(ROOT, 'apps/worker/dist/env.js');
  for (const p of [CORE, SCAN, REPO, COMPOSE, ENV]) {
    if (!existsSync(p)) {
      process.stderr.write(`not built (${p}); run: npx turbo run build --output-logs=errors-only\n`);
      process.exit(1);
    }
  }
  const core = await import(CORE);
  const { reminderScanFactory } = await import(SCAN);
  const { reminderRepositoryFactory } = await import(REPO);
  const { composeWorker } = await import(COMPOSE);
  const { loadWorkerEnv } = await import(ENV);
  // pg and ioredis, loaded here rather than at the top to keep them out of the sink thread.
  const { REDIS_URL, createDatabase, deleteRedisKeys, rand } = await import('./lib/system.mjs');
  const pg = (await import('pg')).default;
  const nodemailer = (await import('nodemailer')).default;
  const { parseConnectionUrl } = (await import('nodemailer/lib/shared/index.js')).default;
  const net = await import('node:net');

  /**
   * The mailer fix suggested in RESULTS.md, bench-local: nodemailer ignores every other option
   * when `url` is given, so build the options from the URL (its query parameters still win) and
   * turn Nagle off, or each message on a reused connection waits ~40 ms for a delayed ACK.
   */
  const fixedMailer = (url, from) => {
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: 5,
      maxMessages: 500,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      ...parseConnectionUrl(url),
      getSocket: (o, callback) => {
        const socket = net.connect({ host: o.host, port: o.port, noDelay: true, timeout: o.connectionTimeout });
        socket.once('timeout', () => socket.destroy(new Error('SMTP connection timeout')));
        socket.once('error', (err) => callback(err));
        socket.once('connect', () => {
          socket.setTimeout(0);
          callback(null, { connection: socket });
        });
      },
    });
    return {
      send: async (mail) => {
        const info = await transport.sendMail({
          from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
        });
        return { accepted: (info.accepted ?? []).map(String), rejected: (info.rejected ?? []).map(String) };
      },
      close: () => transport.close(),
    };
  };

  const SECRETS = Number(process.env.BENCH_SECRETS ?? 1_000_000);
  const DUE_EVERY = Number(process.env.BENCH_DUE_EVERY ?? 100);
  const DUE = Math.floor(SECRETS / DUE_EVERY);
  const RUNS = Number(process.env.BENCH_RUNS ?? 20);
  const REPEAT_DAYS = 7;
  const DELIVERY_TIMEOUT_MS = 200_000;
  if (DUE_EVERY % 2 !== 0 || DUE_EVERY % 10 !== 0) {
    process.stderr.write('BENCH_DUE_EVERY must be a multiple of 10\n');
    process.exit(1);
  }

  // The watchdog starts cleanup after BENCH_BUDGET_MS (capped at 450 s); a hard exit follows 25 s later.
  startBench({ capMs: 450_000 });

  const out = [];
  const say = (line = '') => {
    out.push(line);
    log(line);
  };

  const run = async () => {
    // -------------------------------------------------------------------------------------------
    // Database, Redis prefix, connections

    const { name: dbName, url: dbUrl } = await createDatabase(defer, { prefix: 'nembl_bench_rem', logDrop: true });
    const prefix = `{bench-rem-${rand()}}`;
    defer(`redis keys ${prefix}:*`, async () => {
      const deleted = await deleteRedisKeys(prefix);
      log(`deleted ${deleted} redis keys under ${prefix}:`);
    });
    log(`database ${dbName}, redis prefix ${prefix}`);

    const logger = core.createLogger({ level: 'warn', name: 'bench-reminders' });
    const ds = core.createDataSource({ url: dbUrl, applicationName: 'bench-reminders' });
    await ds.initialize();
    defer('close bench data source', () => ds.destroy());
    await core.runMigrations(ds);
    // A plain client for EXPLAIN and the bare claim query.
    const sql = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
    await sql.connect();
    defer('close sql client', () => sql.end());

    const redis = core.redisConnection(REDIS_URL, 'worker');
    defer('close redis', () => redis.disconnect());
    const emailQueue = core.createQueue(core.QueueName.ReminderEmail, { connection: redis, prefix });
    defer('close email queue', () => emailQueue.close());

    // -------------------------------------------------------------------------------------------
    // Seed

    say(`Seed: ${SECRETS.toLocaleString('en')} secrets, every ${DUE_EVERY}th due (${DUE.toLocaleString('en')})`);
    await sql.query(`ALTER TABLE secrets SET (autovacuum_enabled = false)`);
    await sql.query(`ALTER TABLE reminder_deliveries SET (autovacuum_enabled = false)`);
    const [{ id: companyId }] = (
      await sql.query(`INSERT INTO companies (name) VALUES ('Bench Reminders') RETURNING id`)
    ).rows;
    await sql.query(
      `INSERT INTO users (company_id, email, name, password_hash, roles)
     SELECT $1::uuid, 'admin' || g || '@bench.example', 'Admin ' || g, 'x', ARRAY['Admin'] FROM generate_series(1, 3) g
     UNION ALL
     SELECT $1::uuid, 'owner' || g || '@bench.example', 'Owner ' || g, 'x', '{}' FROM generate_series(1, 20) g`,
      [companyId],
    );
    const seedT = {};
    [seedT.secrets] = await timed(() =>
      sql.query(
        `INSERT INTO secrets (company_id, name, type, status, version, created_by_type, created_by_label, created_at, updated_at,
                            last_rotated_at, reminder_interval_days, reminder_next_due_at, reminder_next_notify_at)
       SELECT $1::uuid, 'bench-' || lpad(g::text, 7, '0'), 'custom', 'active', 1, 'system', 'bench', r.rotated, r.rotated,
              r.rotated, r.iv, r.rotated + make_interval(days => r.iv), r.rotated + make_interval(days => r.iv)
         FROM generate_series(1, $2::int) g
         CROSS JOIN LATERAL (
           SELECT CASE WHEN g % $3 = 0 THEN 90 WHEN g % 5 IN (1, 2) THEN NULL ELSE (ARRAY[30, 60, 90])[1 + g % 3] END AS iv,
                  CASE WHEN g % $3 = 0
                       -- due 1–6 days (and some seconds) ago: n = 0 with a 7-day repeat
                       THEN now() - interval '90 days' - make_interval(days => 1 + (g / $3) % 6, secs => g % 86400)
                       -- rotated less than 29 days ago: due in the future for every interval
                       ELSE now() - make_interval(days => g % 28, secs => g % 86400) END AS rotated
         ) r`,
        [companyId, SECRETS, DUE_EVERY],
      ),
    );
    [seedT.owners] = await timed(() =>
      sql.query(
        `INSERT INTO secret_owners (secret_id, user_id)
       SELECT s.id, o.ids[1 + (right(s.name, 7)::int / 10) % array_length(o.ids, 1)]
         FROM secrets s, (SELECT array_agg(id ORDER BY email) AS ids FROM users WHERE email LIKE 'owner%') o
        WHERE right(s.name, 7)::int % 10 = 0
          AND (right(s.name, 7)::int % $1 <> 0 OR right(s.name, 7)::int % ($1 * 2) = 0)`,
        [DUE_EVERY],
      ),
    );
    [seedT.analyze] = await timed(() => sql.query(`ANALYZE`));
    [seedT.vacuum] = await timed(() => sql.query(`VACUUM secrets, secret_owners`));
    const sizes = (
      await sql.query(
        `SELECT (SELECT count(*) FROM secrets) AS secrets,
              (SELECT count(*) FROM secrets WHERE reminder_next_notify_at IS NOT NULL AND status = 'active' AND reminder_next_notify_at <= now()) AS due,
              (SELECT count(*) FROM secrets WHERE reminder_next_notify_at IS NOT NULL) AS with_reminder,
              (SELECT count(*) FROM secret_owners) AS owners,
              (SELECT count(*) FROM secret_owners o JOIN secrets s ON s.id = o.secret_id WHERE s.reminder_next_notify_at <= now()) AS due_owned,
              pg_size_pretty(pg_table_size('secrets')) AS heap, pg_size_pretty(pg_indexes_size('secrets')) AS indexes,
              pg_size_pretty(pg_relation_size('secrets_reminder_notify_idx')) AS notify_idx`,
      )
    ).rows[0];
    say(
      `  secrets INSERT … generate_series ${f(seedT.secrets / 1000, 1)} s; secret_owners ${f(seedT.owners / 1000, 1)} s; ANALYZE ${f(seedT.analyze / 1000, 1)} s; VACUUM ${f(seedT.vacuum / 1000, 1)} s`,
    );
    say(
      `  ${sizes.secrets} secrets (${sizes.with_reminder} with a reminder, ${sizes.due} due, ${sizes.due_owned} of them owned), ${sizes.owners} owner rows; secrets heap ${sizes.heap}, its indexes ${sizes.indexes} (secrets_reminder_notify_idx ${sizes.notify_idx})`,
    );
    if (Number(sizes.due) !== DUE) throw new Error(`seeded ${sizes.due} due secrets, expected ${DUE}`);
    checkStop();

    // -------------------------------------------------------------------------------------------
    // The scan, instrumented: the real factory, with the data source and queue wrapped to time
    // each statement of the claim transaction and each addBulk.

    const split = { select: 0, insert: 0, update: 0, tx: 0, addBulk: 0, batches: 0, bulks: 0 };
    const resetSplit = () => Object.keys(split).forEach((k) => (split[k] = 0));
    const timedEm = (em) => ({
      query: async (q, p) => {
        const s = performance.now();
        try {
          return await em.query(q, p);
        } finally {
          const k = /^\s*SELECT/.test(q) ? 'select' : /^\s*INSERT/.test(q) ? 'insert' : 'update';
          split[k] += performance.now() - s;
        }
      },
    });
    const instrumentedDs = {
      transaction: async (cb) => {
        const s = performance.now();
        try {
          return await ds.transaction((em) => cb(timedEm(em)));
        } finally {
          split.tx += performance.now() - s;
          split.batches += 1;
        }
      },
      query: (q, p) => ds.query(q, p),
    };
    // enqueueBulk sends a batch of one as a plain add: both are timed as one round trip.
    const timedAdd = async (send) => {
      const s = performance.now();
      try {
        return await send();
      } finally {
        split.addBulk += performance.now() - s;
        split.bulks += 1;
      }
    };
    const instrumentedQueue = {
      name: emailQueue.name,
      addBulk: (jobs) => timedAdd(() => emailQueue.addBulk(jobs)),
      add: (name, data, opts) => timedAdd(() => emailQueue.add(name, data, opts)),
    };
    const scanner = reminderScanFactory({
      dataSource: instrumentedDs,
      reminders: reminderRepositoryFactory({ dataSource: instrumentedDs }),
      emailQueue: instrumentedQueue,
      repeatDays: REPEAT_DAYS,
      logger,
    });

    const CLAIM_SQL = `SELECT id, company_id, reminder_next_due_at AS due FROM secrets
          WHERE reminder_next_notify_at IS NOT NULL AND status = 'active' AND reminder_next_notify_at <= $1
          ORDER BY reminder_next_notify_at LIMIT $2 FOR UPDATE SKIP LOCKED`;
    const explainClaim = async (at, { bitmap = false } = {}) => {
      await sql.query('BEGIN');
      try {
        // A bitmap scan never marks index entries dead, so forcing one leaves the state as it was.
        if (bitmap) await sql.query('SET LOCAL enable_indexscan = off');
        const { rows } = await sql.query(`EXPLAIN (ANALYZE, BUFFERS) ${CLAIM_SQL}`, [at, 1000]);
        return rows.map((r) => r['QUERY PLAN']);
      } finally {
        await sql.query('ROLLBACK');
      }
    };
    const indexStats = async () =>
      (
        await sql.query(
          `SELECT idx_scan, idx_tup_read, idx_tup_fetch FROM pg_stat_user_indexes WHERE indexrelname = 'secrets_reminder_notify_idx'`,
        )
      ).rows[0];

    /** A nothing-due case: RUNS scans, RUNS scan+sweep job bodies, RUNS bare claim queries, EXPLAIN. */
    const nothingDue = async (label, at) => {
      const first = await timed(() => scanner.scan(at));
      if (first[1].claimed !== 0) throw new Error(`${label}: scan claimed ${first[1].claimed}, expected 0`);
      const scans = [first[0]];
      for (let i = 1; i < RUNS; i++) {
        checkStop();
        const [ms, r] = await timed(() => scanner.scan(at));
        if (r.claimed !== 0) throw new Error(`${label}: scan claimed ${r.claimed}, expected 0`);
        scans.push(ms);
      }
      const jobs = [];
      for (let i = 0; i < RUNS; i++) {
        const [ms] = await timed(async () => {
          await scanner.scan(at);
          await scanner.sweep(at);
        });
        jobs.push(ms);
      }
      const bare = [];
      for (let i = 0; i < RUNS; i++) {
        const [ms] = await timed(() => sql.query(CLAIM_SQL, [at, 1000]));
        bare.push(ms);
      }
      const plan = await explainClaim(at);
      const exec = Number(plan.find((l) => l.startsWith('Execution Time'))?.match(/[\d.]+/)?.[0]);
      return { label, first: first[0], scan: stats(scans), job: stats(jobs), bare: stats(bare), plan, exec };
    };

    // (b0) Fresh state, nothing due: the scan time is before every due date.
    log('(b0) nothing due on the fresh state');
    const before = new Date(Date.now() - 8 * core.DAY_MS);
    const b0 = await nothingDue('(b0) fresh state, nothing due (scan time 8 days back)', before);
    checkStop();

    // (a) One scan claims all DUE and enqueues their email jobs. First the plan of one claim
    // batch in this state (EXPLAIN ANALYZE locks the rows it returns; ROLLBACK releases them).
    log('(a) scan claiming every due secret');
    const claimPlan = await explainClaim(new Date());
    resetSplit();
    const idxBefore = await indexStats();
    const scanAt = new Date();
    const [aMs, aRes] = await timed(() => scanner.scan(scanAt));
    const aSplit = { ...split };
    await delay(1500); // backends flush their statistics at most once a second
    const idxAfter = await indexStats();
    const counts = await emailQueue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed');
    const deliveries = Number(
      (await sql.query(`SELECT count(*) AS n FROM reminder_deliveries WHERE status = 'pending'`)).rows[0].n,
    );
    if (aRes.claimed !== DUE) throw new Error(`(a) claimed ${aRes.claimed}, expected ${DUE}`);
    if (counts.waiting !== DUE) throw new Error(`(a) ${counts.waiting} jobs waiting, expected ${DUE}`);
    if (deliveries !== DUE) throw new Error(`(a) ${deliveries} pending deliveries, expected ${DUE}`);
    checkStop();

    // (b1) Right after (a): nothing owed, but 10,000 dead index entries precede the live ones.
    log('(b1) nothing due right after (a)');
    const b1Bitmap = await explainClaim(new Date(), { bitmap: true });
    const b1 = await nothingDue('(b1) right after (a), no VACUUM yet', new Date());
    checkStop();

    // (b2) After VACUUM: the steady state.
    log('(b2) nothing due after VACUUM');
    const [vacMs] = await timed(() => sql.query(`VACUUM secrets, reminder_deliveries`));
    const b2 = await nothingDue('(b2) after VACUUM secrets', new Date());
    checkStop();

    // -------------------------------------------------------------------------------------------
    // (c) Delivery through the real worker wiring to a counting SMTP sink.

    log('(c) delivery: starting the SMTP sink and the worker');
    const thread = new Thread(fileURLToPath(import.meta.url));
    let threadExited = false;
    thread.once('exit', () => (threadExited = true));
    defer('stop smtp sink', async () => {
      if (threadExited) return;
      thread.postMessage({ type: 'close' });
      const gone = await Promise.race([
        new Promise((r) => thread.once('exit', () => r(true))),
        delay(3000, false, { ref: false }),
      ]);
      if (!gone) await thread.terminate();
    });
    const fromThread = (type, ms) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`smtp sink: no '${type}' within ${ms} ms`)), ms);
        const onMsg = (m) => {
          if (m.type !== type) return;
          clearTimeout(timer);
          thread.off('message', onMsg);
          stop.signal.removeEventListener('abort', onAbort);
          resolve(m);
        };
        const onAbort = () => {
          clearTimeout(timer);
          thread.off('message', onMsg);
          reject(stop.signal.reason);
        };
        stop.signal.addEventListener('abort', onAbort, { once: true });
        thread.on('message', onMsg);
        thread.once('error', reject);
      });
    const { port } = await fromThread('ready', 10_000);
    const smtpUrl = `smtp://127.0.0.1:${port}`;
    const env = loadWorkerEnv({
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATABASE_URL: dbUrl,
      REDIS_URL,
      NEMBL_QUEUE_PREFIX: prefix,
      SMTP_URL: smtpUrl,
      NEMBL_PUBLIC_URL: 'http://localhost:8080',
      NEMBL_REMINDER_REPEAT_DAYS: String(REPEAT_DAYS),
    });
    const settle = async (q, ok, ms) => {
      const end = Date.now() + ms;
      for (;;) {
        const row = (await sql.query(q)).rows[0];
        if (ok(row) || Date.now() > end) return [now(), row];
        checkStop();
        await delay(100);
      }
    };

    /** Starts composeWorker (its own data source and Redis connection, as in main.ts) and times DUE emails. */
    const deliver = async (mailer) => {
      const sinkDone = fromThread('done', DELIVERY_TIMEOUT_MS);
      sinkDone.catch(() => undefined);
      thread.postMessage({ type: 'expect', n: DUE, reset: true });
      const workerDs = core.createDataSource({ url: dbUrl, applicationName: 'nembl-worker' });
      await workerDs.initialize();
      const closeDs = defer('close worker data source', () => workerDs.destroy());
      const workerRedis = core.redisConnection(REDIS_URL, 'worker');
      const closeRedis = defer('close worker redis', () => workerRedis.disconnect());
      const worker = composeWorker({
        env,
        logger,
        dataSource: workerDs,
        masterKey: randomBytes(32),
        queue: { connection: workerRedis, prefix },
        ...(mailer ? { mailer } : {}),
      });
      const closeWorker = defer('close worker', () => worker.close());
      let failedJobs = 0;
      const cpuBefore = process.cpuUsage();
      const startedAt = now();
      const set = await worker.start();
      for (const w of set.workers) if (w.name === core.QueueName.ReminderEmail) w.on('failed', () => (failedJobs += 1));
      const progress = setInterval(() => thread.postMessage({ type: 'stats' }), 5000);
      const onStats = (m) => m.type === 'stats' && log(`  sink: ${m.count} messages`);
      thread.on('message', onStats);
      let done;
      try {
        done = await sinkDone;
      } finally {
        clearInterval(progress);
        thread.off('message', onStats);
      }
      // A delivery is marked sent right after the sink's 250; wait for those and for the audit outbox.
      const [sentAt, sentRow] = await settle(
        `SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status <> 'sent') AS other FROM reminder_deliveries`,
        (r) => Number(r.other) === 0,
        30_000,
      );
      const [auditAt, auditRow] = await settle(
        `SELECT (SELECT count(*) FROM audit_outbox) AS outbox, (SELECT count(*) FROM audit_events) AS events`,
        (r) => Number(r.outbox) === 0,
        60_000,
      );
      const cpu = process.cpuUsage(cpuBefore);
      // CPU of the worker's own Postgres backends (opened for this run, so lifetime ≈ this run).
      const pids = (
        await sql.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'nembl-worker'`, [
          dbName,
        ])
      ).rows.map((r) => r.pid);
      // NaN when not readable here (Postgres on another host or user).
      const pgCpuMs = pids.reduce((sum, pid) => sum + procCpuMs(pid), 0);
      await worker.close();
      forget(closeWorker);
      await workerDs.destroy();
      forget(closeDs);
      workerRedis.disconnect();
      forget(closeRedis);
      return {
        done,
        deliveryMs: done.last - done.first,
        startToFirst: done.first - startedAt,
        startToLast: done.last - startedAt,
        sentAfter: sentAt - startedAt,
        sentRow,
        auditAfter: auditAt - startedAt,
        auditRow,
        failedJobs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        pgCpuMs,
        pgBackends: pids.length,
      };
    };

    const c = await deliver();
    checkStop();

    // (c′) The same with the mailer fix suggested in the report (bench-local: the pool really
    // pooled, TCP_NODELAY on its sockets). A second set of occurrences: the same secrets, due one
    // day earlier, claimed by a second scan (also timed: a second sample of (a)).
    let c2;
    let a2Ms;
    if (process.env.BENCH_MAILER_FIX !== '0') {
      log("(c') second set of occurrences with the suggested mailer fix");
      await sql.query(
        `UPDATE secrets SET reminder_next_due_at = reminder_next_due_at - interval '1 day',
                            reminder_next_notify_at = reminder_next_due_at - interval '1 day'
          WHERE id IN (SELECT secret_id FROM reminder_deliveries)`,
      );
      await sql.query(`VACUUM ANALYZE secrets`);
      let a2;
      [a2Ms, a2] = await timed(() => scanner.scan(new Date()));
      if (a2.claimed !== DUE) throw new Error(`(c') second scan claimed ${a2.claimed}, expected ${DUE}`);
      const fixed = fixedMailer(smtpUrl, env.NEMBL_MAIL_FROM);
      c2 = await deliver(fixed);
    }

    // -------------------------------------------------------------------------------------------
    // Report

    const pass = (ok) => (ok ? 'meets' : 'MISSES');
    say('');
    say(
      `(a) one scan, ${DUE.toLocaleString('en')} due of ${SECRETS.toLocaleString('en')}: ${f(aMs, 0)} ms (target ≤ 5000 ms: ${pass(aMs <= 5000)})`,
    );
    say(
      `    ${aSplit.batches} claim transactions (${Math.ceil(DUE / 1000)} × 1000 + the empty one that ends the loop) ${f(aSplit.tx, 0)} ms: SELECT … FOR UPDATE SKIP LOCKED ${f(aSplit.select, 0)} ms, INSERT reminder_deliveries ${f(aSplit.insert, 0)} ms, UPDATE secrets ${f(aSplit.update, 0)} ms, BEGIN/COMMIT and the rest ${f(aSplit.tx - aSplit.select - aSplit.insert - aSplit.update, 0)} ms`,
    );
    say(
      `    ${aSplit.bulks} addBulk × 500 jobs ${f(aSplit.addBulk, 0)} ms; other ${f(aMs - aSplit.tx - aSplit.addBulk, 0)} ms`,
    );
    say(
      `    queue after the scan: ${counts.waiting} waiting; ${deliveries} pending reminder_deliveries; notify index tuples read ${Number(idxAfter.idx_tup_read) - Number(idxBefore.idx_tup_read)} in ${Number(idxAfter.idx_scan) - Number(idxBefore.idx_scan)} index scans`,
    );
    say('');
    say(`(b) scan with nothing due, ${RUNS} runs each (ms; target ≤ 20 ms median):`);
    const row = (...c) =>
      say(
        `    ${c[0].padEnd(56)}${c
          .slice(1)
          .map((x) => String(x).padStart(9))
          .join('')}`,
      );
    row('case', 'first', 'p50', 'p95', 'max', 'job p50', 'bare p50', 'EXPLAIN');
    for (const b of [b0, b1, b2]) {
      row(b.label, f(b.first), f(b.scan.p50), f(b.scan.p95), f(b.scan.max), f(b.job.p50), f(b.bare.p50), f(b.exec, 3));
    }
    say(
      `    (first: the first scan() in that state; p50/p95/max over all ${RUNS} scan() calls; job: scan + sweep, the scheduled job's body;`,
    );
    say(
      `     bare: the claim SELECT alone on a plain pg client; EXPLAIN: server execution time of the claim query at the end; VACUUM before (b2) ${f(vacMs / 1000, 1)} s)`,
    );
    const worstB = Math.max(b0.scan.p50, b1.scan.p50, b2.scan.p50);
    say(`    worst median ${f(worstB)} ms: ${pass(worstB <= 20)} the target`);
    say('');
    const deliveryLines = (label, r) => {
      const rate = (DUE - 1) / (r.deliveryMs / 1000);
      say(
        `${label} delivery of ${r.done.count.toLocaleString('en')} emails (${r.done.rcpts.toLocaleString('en')} recipients, ${r.done.conns.toLocaleString('en')} SMTP connections) to the SMTP sink: first → ${DUE.toLocaleString('en')}th accepted ${f(r.deliveryMs / 1000, 2)} s = ${f(rate, 0)} messages/s (target ≥ 200: ${pass(rate >= 200)})`,
      );
      say(
        `    worker start → first message ${f(r.startToFirst, 0)} ms; start → last ${f(r.startToLast / 1000, 2)} s (${f(DUE / (r.startToLast / 1000), 0)} messages/s); all ${r.sentRow.sent} deliveries 'sent' ${f(r.sentAfter / 1000, 2)} s after start (${r.sentRow.other} not sent); failed job attempts ${r.failedJobs}`,
      );
      say(
        `    audit: ${r.auditRow.events} audit_events in total, outbox ${Number(r.auditRow.outbox) === 0 ? `drained ${f(r.auditAfter / 1000, 2)} s after start` : `still ${r.auditRow.outbox} rows after 60 s`}; CPU: this process (worker + sink thread) ${f(r.cpuMs / 1000, 1)} s = ${f(r.cpuMs / DUE, 2)} ms per email, the worker's ${r.pgBackends} Postgres backends ${f(r.pgCpuMs / 1000, 1)} s = ${f(r.pgCpuMs / DUE, 2)} ms per email`,
      );
    };
    deliveryLines('(c)', c);
    if (c2) {
      say('');
      say(`(a′) second scan, the same ${DUE.toLocaleString('en')} secrets due one day earlier: ${f(a2Ms, 0)} ms`);
      deliveryLines('(c′) with the suggested mailer fix (bench-local; pooled, TCP_NODELAY):', c2);
    }
    say('');
    say(`EXPLAIN (ANALYZE, BUFFERS) claim query, one batch of 1000 with ${DUE} due (before (a)):`);
    for (const l of claimPlan) say(`    ${l}`);
    for (const b of [b0, b1, b2]) {
      say(`EXPLAIN (ANALYZE, BUFFERS) claim query, ${b.label}:`);
      for (const l of b.plan) say(`    ${l}`);
      if (b === b1) {
        say(
          'EXPLAIN (ANALYZE, BUFFERS) claim query, (b1) before its first scan, bitmap scan forced (enable_indexscan = off):',
        );
        for (const l of b1Bitmap) say(`    ${l}`);
      }
    }
    say('');
    say(wallTimeLine());
    process.stdout.write(`${out.join('\n')}\n`);
  };

  await finish(run());
}
