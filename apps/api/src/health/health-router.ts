import { Router } from 'express';
import type { Metrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const withTimeout = (p: Promise<void>, ms: number) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

/** /readyz (dependencies reachable), /metrics (Prometheus). No auth. `/healthz` is answered in server.ts, before logging and metrics. */
export const healthRouter = (deps: { checks: ReadinessCheck[]; metrics: Metrics }): Router => {
  const r = Router();
  r.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      deps.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), 2000);
          return [c.name, 'ok'] as const;
        } catch {
          return [c.name, 'down'] as const;
        }
      }),
    );
    const checks = Object.fromEntries(results);
    const ready = results.every(([, s]) => s === 'ok');
    if (!ready) res.setHeader('Retry-After', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  r.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.text());
  });
  return r;
};
