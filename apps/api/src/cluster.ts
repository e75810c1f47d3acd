import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from '@nembl/core';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * Several API processes on one port (node:cluster): Node runs JavaScript on one core, so one API
 * process leaves every other core of the machine idle. The processes are independent API
 * instances, as behind a load balancer: each has its own pools and caches, and every write holds
 * in all of them before its answer leaves (the identity and metadata barriers, which count the
 * processes listening). The primary only supervises: it starts the processes, forwards stop
 * signals, and answers `/metrics` for all of them together.
 */

/** How many API processes to run when NEMBL_API_PROCESSES is not set: one per core, at most four. */
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

/**
 * Runs `processes` API processes (this file's main module, forked) and supervises them until they
 * stop. The first is started alone and waited for until it listens, so migrations and the first
 * admin's creation (printed once) happen in one process; then the rest. A process that exits
 * while the others run (a crash, or a failure to start such as a taken port) stops them all and
 * the primary exits 1, as a single process would: the supervisor (`npm start`, systemd, the
 * container runtime) decides about restarts. SIGTERM and SIGINT are passed on to every process,
 * which drains as a single one does; the primary exits when the last has stopped, 0 when all did.
 */
export const superviseApiProcesses = async ({
  processes,
  logger,
}: {
  processes: number;
  logger: Pick<Logger, 'info' | 'error'>;
}): Promise<void> => {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, message: unknown) => {
    if (!isMetricsRequest(message)) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: METRICS_ANSWER, id: message.id, text } satisfies MetricsAnswer),
      (err: Error) => worker.send({ type: METRICS_ANSWER, id: message.id, error: err.message } satisfies MetricsAnswer),
    );
  });

  let stopping = false;
  let failed = false;
  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) if (w && !w.isDead()) w.process.kill(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stopping) logger.info({ signal, processes }, 'stopping every api process');
    stopping = true;
    stopAll(signal);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  cluster.on('exit', (worker: Worker, code: number | null, signal: string | null) => {
    if (!stopping) {
      // Not asked to stop: the API as a whole is broken, as a single process exiting would be.
      failed = true;
      stopping = true;
      logger.error({ pid: worker.process.pid, code, signal }, 'an api process exited; stopping the others');
      stopAll('SIGTERM');
    } else if (code !== 0 && code !== null) failed = true;
    if (Object.values(cluster.workers ?? {}).every((w) => !w || w.isDead())) process.exit(failed ? 1 : 0);
  });

  const start = () =>
    new Promise<boolean>((resolve) => {
      const w = cluster.fork();
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
 * In a forked API process: `/metrics` for all processes together (the primary aggregates every
 * process's registry), and a stop when the primary is gone (killed: nothing else would stop us).
 */
export const joinApiCluster = ({ registry, stop }: { registry: Registry; stop: () => void }) => {
  if (!cluster.isWorker) return { clusterMetrics: () => registry.metrics() };
  // prom-client answers the primary's requests for this process's metrics once an
  // AggregatorRegistry exists here (its constructor adds the listener), from these registries.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  process.once('disconnect', stop);
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (message: unknown) => {
    if (!isMetricsAnswer(message)) return;
    const w = waiting.get(message.id);
    if (!w) return;
    waiting.delete(message.id);
    if (message.text !== undefined) w.resolve(message.text);
    else w.reject(new Error(message.error ?? 'no metrics'));
  });
  /** The exposition of every API process's metrics, aggregated by the primary. */
  const clusterMetrics = (): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the primary did not answer with the metrics'));
      }, 10_000);
      waiting.set(id, {
        resolve: (text) => {
          clearTimeout(timer);
          resolve(text);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
  return { clusterMetrics };
};

export const isApiClusterWorker = (): boolean => cluster.isWorker;
