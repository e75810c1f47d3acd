import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * One registry per server instance, so tests can run several servers in one process.
 * `exposition` is what `/metrics` answers: this registry's metrics, or (one of several API
 * processes, `cluster.ts`) every process's together.
 */
export const metricsFactory = (opts: { defaultMetrics: boolean; exposition?: (registry: Registry) => Promise<string> }) => {
  const registry = new Registry();
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'nembl_api_' });
  const requests = new Counter({
    name: 'nembl_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'nembl_http_request_duration_seconds',
    help: 'HTTP request latency by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // Label children per (method, route[, status]): prom-client hashes the labels on every call
  // otherwise. Routes are templates and statuses few, so the maps stay small.
  const counters = new Map<string, { inc: () => void }>();
  const timers = new Map<string, { observe: (v: number) => void }>();

  /** Counts one finished request; `route` is the matched template (`/api/v1/users/:id`), never the raw path. */
  const record = (method: string, route: string, status: number, seconds: number): void => {
    const timerKey = `${method} ${route}`;
    let timer = timers.get(timerKey);
    if (!timer) timers.set(timerKey, (timer = latency.labels({ method, route })));
    timer.observe(seconds);
    const counterKey = `${timerKey} ${status}`;
    let counter = counters.get(counterKey);
    if (!counter) counters.set(counterKey, (counter = requests.labels({ method, route, status: String(status) })));
    counter.inc();
  };

  // Label by the matched route template (`/users/:id`), never the raw path: ids would explode
  // the label set.
  const middleware: RequestHandler = (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path;
      const route = routePath ? `${req.baseUrl}${routePath}` : 'unmatched';
      record(req.method, route, res.statusCode, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };

  const exposition = opts.exposition ?? ((r: Registry) => r.metrics());
  return { registry, middleware, record, text: () => exposition(registry) };
};

export type Metrics = ReturnType<typeof metricsFactory>;
