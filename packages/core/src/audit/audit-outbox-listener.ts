import type { Logger } from 'pino';
import { pgListener, type PgListener } from '../db/pg-listener.js';
import { AUDIT_OUTBOX_CHANNEL } from './audit-types.js';

/**
 * LISTENs for committed `audit_outbox` rows and calls `onNotify` for each announcement, so the
 * worker drains within milliseconds of a commit instead of waiting for its schedule. Postgres
 * delivers a NOTIFY only when the writing transaction commits, which makes it the natural
 * "after commit" nudge, and it needs no Redis. Losing the connection only costs latency: the
 * drain schedule still runs; the listener reconnects on its own, and drains once it is back
 * (rows may have been committed while it was not listening).
 */
export const auditOutboxListener = (deps: {
  databaseUrl: string;
  onNotify: () => void;
  logger: Pick<Logger, 'warn'>;
  reconnectMs?: number;
}): PgListener =>
  pgListener({
    databaseUrl: deps.databaseUrl,
    channel: AUDIT_OUTBOX_CHANNEL,
    applicationName: 'nembl-audit-listen',
    logger: deps.logger,
    ...(deps.reconnectMs !== undefined ? { reconnectMs: deps.reconnectMs } : {}),
    onNotify: () => deps.onNotify(),
    onState: (listening) => {
      if (listening) deps.onNotify();
    },
  });
