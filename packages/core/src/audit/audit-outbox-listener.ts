import pg from 'pg';
import type { Logger } from 'pino';
import { AUDIT_OUTBOX_CHANNEL } from './audit-types.js';

/**
 * LISTENs for committed `audit_outbox` rows and calls `onNotify` for each announcement, so the
 * worker drains within milliseconds of a commit instead of waiting for its schedule. Postgres
 * delivers a NOTIFY only when the writing transaction commits, which makes it the natural
 * "after commit" nudge, and it needs no Redis. Losing the connection only costs latency: the
 * drain schedule still runs; the listener reconnects on its own.
 */
export const auditOutboxListener = (deps: {
  databaseUrl: string;
  onNotify: () => void;
  logger: Pick<Logger, 'warn'>;
  reconnectMs?: number;
}) => {
  const reconnectMs = deps.reconnectMs ?? 1000;
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const scheduleReconnect = () => {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, reconnectMs);
    retry.unref();
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: deps.databaseUrl, application_name: 'nembl-audit-listen' });
    c.on('notification', () => deps.onNotify());
    c.on('error', (err) => {
      deps.logger.warn({ err: { message: err.message } }, 'audit outbox listener lost its connection');
      if (client === c) client = undefined;
      void c.end().catch(() => undefined);
      scheduleReconnect();
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${AUDIT_OUTBOX_CHANNEL}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      // Rows committed while we were not listening.
      deps.onNotify();
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message } }, 'audit outbox listener could not connect');
      await c.end().catch(() => undefined);
      scheduleReconnect();
    }
  };

  return {
    start: (): Promise<void> => connect(),
    close: async (): Promise<void> => {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
};
