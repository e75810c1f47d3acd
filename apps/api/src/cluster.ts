import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from '@nembl/core';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * Several API processes on one port (node:cluster): Node runs JavaScript on one core, so one API
 * process leaves every other core of the machine idle. The processes are independent API
 * instances, as behind a load balancer: each has its own pools and caches, and every write holds
 * in all of them before its answer leaves (the identity and metadata barriers, which count the
 * processes listening). The primary serves no request itself: it accepts connections and hands
 * each to a process (Node's round-robin), starts and stops the processes, and answers `/metrics`
 * for all of them together.
 */

/** How many API processes `npm start` runs when NEMBL_API_PROCESSES is not set: one per core, at most four. */
export const defaultApiProcesses = (): number => Math.min(availableParallelism(), 4);

const METRICS_REQUEST = 'nembl:metrics-request';
const METRICS_ANSWER = 'nembl:metrics-answer';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
interface MetricsAnswer {
  type: typeof METRICS_ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isMetricsRequest = (m: unknown): m is MetricsRequest =>
  typeof m === 'object' && m !== null && (m as MetricsRequest).type === METRICS_REQUEST;
const isMetricsAnswer = (m: unknown): m is MetricsAnswer =>
  typeof m === 'object' && m !== null && (m as MetricsAnswer).type === METRICS_ANSWER;

/** Set in the environment of the processes the primary forks (not by PM2's or anyone else's cluster). */
const FORKED = 'NEMBL_API_FORKED';

/** This process is one the API's primary forked. */
export const isApiClusterWorker = (): boolean => cluster.isWorker && process.env[FORKED] === '1';

/**
 * Runs `processes` API processes (this file's main module, forked) and supervises them until they
 * stop. The first is started alone and waited for until it listens, so migrations and the first
 * admin's creation (printed once) happen in one process; then the rest. A process that exits
 * while the others run (a crash, or a failure to start such as a taken port) stops them all and
 * the primary exits 1, as a single process would: the supervisor (`npm start`, systemd, the
 * container runtime) decides about restarts. SIGTERM and SIGINT are passed on to every process,
 * which drains as a single one does; the primary exits when the last has stopped, 0 when all did.
 * (A killed primary takes its processes with it at once: Node ends a cluster worker whose primary
 * is gone, without a drain, as a killed single process would be.)
 */
export const superviseApiProcesses = async ({
  processes,
  logger,
}: {
  processes: number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}): Promise<void> => {
  const aggregator = new AggregatorRegistry();
  // One aggregation serves every scrape within a second: /metrics is public, and each aggregation
  // has every process serialize its registry.
  let recent: { at: number; text: Promise<string> } | undefined;
  const aggregate = (): Promise<string> => {
    const t = Date.now();
    if (!recent || t - recent.at >= 1000) {
      recent = { at: t, text: aggregator.clusterMetrics() };
      recent.text.catch(() => (recent = undefined));
    }
    return recent.text;
  };
  const answer = (worker: Worker, message: MetricsAnswer) => {
    if (!worker.isConnected()) return;
    worker.send(message, (err: Error | null) => {
      if (err) logger.warn({ pid: worker.process.pid, err: { message: err.message } }, 'could not send the metrics');
    });
  };
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMetricsRequest(message)) return;
    aggregate().then(
      (text) => answer(worker, { type: METRICS_ANSWER, id: message.id, text }),
      (err: Error) => answer(worker, { type: METRICS_ANSWER, id: message.id, error: err.message }),
    );
  });

  let stopping: NodeJS.Signals | undefined;
  let failed = false;
  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) w.process.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) logger.info({ signal, processes }, 'stopping every api process');
    stopping ??= signal;
    stopAll(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    if (!stopping) {
      // Not asked to stop: the API as a whole is broken, as a single process exiting would be.
      failed = true;
      stopping = 'SIGTERM';
      logger.error({ pid: worker.process.pid, code, signal }, 'an api process exited; stopping the others');
      stopAll('SIGTERM');
    } else if ((code !== 0 && code !== null) || (signal !== null && signal !== stopping)) {
      // Stopped otherwise than by its drain (an OOM kill, say): not a clean stop.
      failed = true;
    }
    if (Object.values(cluster.workers ?? {}).every((w) => !w || w.isDead())) process.exit(failed ? 1 : 0);
  });

  const start = () =>
    new Promise<boolean>((resolve) => {
      // Each inherits this environment, NEMBL_API_PROCESSES included.
      const w = cluster.fork({ [FORKED]: '1' });
      w.on('error', (err: Error) =>
        logger.warn({ pid: w.process.pid, err: { message: err.message } }, 'api process channel error'),
      );
      const onExit = () => resolve(false);
      w.once('exit', onExit);
      w.once('listening', () => {
        w.off('exit', onExit);
        resolve(true);
      });
    });
  if (!(await start())) return;
  const started = await Promise.all(Array.from({ length: processes - 1 }, () => (stopping ? false : start())));
  if (started.every(Boolean)) logger.info({ processes }, 'api processes listening');
};

/**
 * In a process the primary forked: `/metrics` for all processes together (the primary aggregates
 * every process's registry). Call first thing, so the primary's aggregation never waits for this
 * process (it answers with nothing until `share`); then `share` the registry once it exists.
 */
export const joinApiCluster = () => {
  if (!isApiClusterWorker()) return undefined;
  // prom-client answers the primary's requests for this process's metrics once an
  // AggregatorRegistry exists here (its constructor adds the listener), from the registries set.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([]);
  let next = 0;
  const waiting = new Map<number, (answer: MetricsAnswer) => void>();
  process.on('message', (message: unknown) => {
    if (!isMetricsAnswer(message)) return;
    waiting.get(message.id)?.(message);
  });
  return {
    share: (registry: Registry) => AggregatorRegistry.setRegistries([registry]),
    /** The exposition of every API process's metrics, aggregated by the primary. */
    clusterMetrics: (): Promise<string> =>
      new Promise<string>((resolve, reject) => {
        const id = next++;
        const done = (answer: MetricsAnswer) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (answer.text !== undefined) resolve(answer.text);
          else reject(new Error(answer.error ?? 'no metrics'));
        };
        const timer = setTimeout(
          () => done({ type: METRICS_ANSWER, id, error: 'the primary did not answer with the metrics' }),
          10_000,
        );
        waiting.set(id, done);
        process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
      }),
  };
};
