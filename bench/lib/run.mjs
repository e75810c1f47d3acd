// The life of one bench process: its log, its stop signal, its time budget and the cleanup that
// must run however it ends (success, failure, Ctrl-C, SIGTERM or the budget running out).
// One bench per process, so this is module state; nothing happens until startBench() is called.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

const CLEANUP_STEP_MS = 10_000;
// After the budget, cleanup gets this long before a hard exit (a stuck step must not hang the run).
const HARD_EXIT_GRACE_MS = 25_000;

let t0 = performance.now();
let loadAtStart = 'n/a';

/** Aborted (with the reason) when the budget runs out or a signal arrives; long loops watch it. */
export const stop = new AbortController();

export const log = (msg) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);

export const checkStop = () => {
  if (stop.signal.aborted) throw stop.signal.reason;
};

export const loadAvg = () => {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'n/a';
  }
};

/** The closing line of every report: how long the run took and how busy the machine was. */
export const wallTimeLine = () =>
  `total wall time ${((performance.now() - t0) / 1000).toFixed(1)} s; ${cpus().length} cpus; load average ${loadAtStart} at start, ${loadAvg()} at end`;

// ---------------------------------------------------------------------------------------------
// Cleanup: every resource registers its undo right after it exists. A scope runs its own undos
// (last first) when it ends; whatever is still registered runs on failure, signal or timeout.

const allUndos = [];

const withTimeout = (promise, ms, what) =>
  Promise.race([
    promise,
    delay(ms, undefined, { ref: false }).then(() => Promise.reject(new Error(`${what} timed out after ${ms} ms`))),
  ]);

/** Runs an undo once; a second caller (scope end racing a signal) waits for the same run. */
const runUndo = (u) => {
  if (!u.running) {
    u.running = withTimeout(Promise.resolve().then(u.fn), CLEANUP_STEP_MS, `cleanup: ${u.what}`).catch((err) => {
      log(`cleanup step failed (${u.what}): ${err.message}`);
    });
  }
  return u.running;
};

/** Registers an undo that runs at the very end (or on failure); returns it for forget(). */
export const defer = (what, fn) => {
  const u = { what, fn };
  allUndos.push(u);
  return u;
};

/** Unregisters an undo whose resource the caller has already released itself. */
export const forget = (u) => {
  const i = allUndos.indexOf(u);
  if (i >= 0) allUndos.splice(i, 1);
};

/** Runs body(defer); what it defers is undone when the body ends, however it ends. */
export const scope = async (body) => {
  const mine = [];
  const scopedDefer = (what, fn) => mine.push(defer(what, fn));
  try {
    return await body(scopedDefer);
  } finally {
    for (const u of mine.reverse()) await runUndo(u);
  }
};

let cleaningUp;
export const cleanupAll = () => {
  cleaningUp ??= (async () => {
    for (const u of [...allUndos].reverse()) await runUndo(u);
  })();
  return cleaningUp;
};

// ---------------------------------------------------------------------------------------------
// Budget and signals

/**
 * Starts the clock and the watchdog: after BENCH_BUDGET_MS (at most capMs) cleanup starts and the
 * process exits 2; SIGINT/SIGTERM do the same with 130/143; a hard exit 3 follows if cleanup hangs.
 */
export const startBench = ({ capMs }) => {
  t0 = performance.now();
  loadAtStart = loadAvg();
  const budgetMs = Math.min(capMs, Number(process.env.BENCH_BUDGET_MS ?? capMs));
  const bail = (reason, code) => {
    if (!stop.signal.aborted) stop.abort(new Error(reason));
    log(`${reason}: cleaning up`);
    setTimeout(() => process.exit(code), HARD_EXIT_GRACE_MS).unref();
    void cleanupAll().finally(() => process.exit(code));
  };
  setTimeout(() => bail(`time budget of ${budgetMs / 1000} s exceeded`, 2), budgetMs).unref();
  setTimeout(() => process.exit(3), budgetMs + HARD_EXIT_GRACE_MS).unref();
  process.once('SIGINT', () => bail('interrupted', 130));
  process.once('SIGTERM', () => bail('terminated', 143));
};

/** Waits for the bench's main promise, cleans up and exits 0 (done) or 1 (failed). */
export const finish = async (main) => {
  try {
    await main;
  } catch (err) {
    // The watchdog or a signal is already cleaning up and will exit.
    if (stop.signal.aborted) return;
    log(`bench failed: ${err?.stack ?? err}`);
    await cleanupAll();
    process.exit(1);
  }
  await cleanupAll();
  process.exit(0);
};
