import pg from 'pg';
import type { Logger } from 'pino';

/** Channel of the identity triggers (migration IdentityNotify): payload = company id. */
export const IDENTITY_CHANNEL = 'nembl_identity';

export interface PgListener {
  start(): Promise<void>;
  /** True while LISTEN is in place, i.e. while no notification can be missed. */
  listening(): boolean;
  close(): Promise<void>;
}

/**
 * One LISTEN connection that reconnects on its own. `onState(true)` comes once LISTEN is in
 * place (after every reconnect); `onState(false)` as soon as the connection is lost, so callers
 * that rely on never missing a notification can stop relying on it in between.
 */
export const pgListener = (deps: {
  databaseUrl: string;
  channel: string;
  applicationName: string;
  onNotify: (payload: string) => void;
  onState?: (listening: boolean) => void;
  logger: Pick<Logger, 'warn'>;
  reconnectMs?: number;
}): PgListener => {
  const reconnectMs = deps.reconnectMs ?? 1000;
  let client: pg.Client | undefined;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const lost = (c: pg.Client, message: string) => {
    deps.logger.warn({ err: { message }, channel: deps.channel }, 'Postgres listener lost its connection');
    if (client === c) {
      client = undefined;
      deps.onState?.(false);
    }
    void c.end().catch(() => undefined);
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, reconnectMs);
    retry.unref();
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: deps.databaseUrl, application_name: deps.applicationName });
    c.on('notification', (msg) => deps.onNotify(msg.payload ?? ''));
    c.on('error', (err) => lost(c, err.message));
    c.on('end', () => client === c && lost(c, 'connection ended'));
    try {
      await c.connect();
      await c.query(`LISTEN ${deps.channel}`);
      if (closed) {
        await c.end();
        return;
      }
      client = c;
      deps.onState?.(true);
    } catch (err) {
      lost(c, (err as Error).message);
    }
  };

  return {
    start: connect,
    listening: () => client !== undefined,
    close: async () => {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
};
