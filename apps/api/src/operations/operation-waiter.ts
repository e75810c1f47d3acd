import { OPERATION_DONE_CHANNEL, type Logger } from '@nembl/core';
import pg from 'pg';

/**
 * Lets a request wait briefly for its operation. The worker announces each finished operation
 * with Postgres NOTIFY in the transaction that finishes it; one LISTEN connection per API
 * process wakes the waiting requests. If the connection is down, waits simply time out (202).
 */
export const operationWaiterFactory = ({ databaseUrl, logger }: { databaseUrl: string; logger: Logger }) => {
  const waiters = new Map<string, Set<() => void>>();
  let client: pg.Client | undefined;
  let closed = false;
  let connecting: Promise<void> | undefined;

  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: databaseUrl, application_name: 'nembl-api-listen' });
    c.on('notification', (msg) => {
      const id = msg.payload;
      if (!id) return;
      const set = waiters.get(id);
      if (set) for (const wake of set) wake();
    });
    c.on('error', (err) => {
      logger.warn({ err: { message: err.message } }, 'operation listener lost its connection');
      client = undefined;
      connecting = undefined;
      if (!closed) setTimeout(() => void ensure().catch(() => undefined), 1000).unref();
    });
    await c.connect();
    await c.query(`LISTEN ${OPERATION_DONE_CHANNEL}`);
    client = c;
  };

  const ensure = (): Promise<void> => {
    if (client) return Promise.resolve();
    connecting ??= connect().catch((err: Error) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  };

  return {
    start: ensure,
    /**
     * Resolves when `isDone()` holds or `ms` pass. `isDone` is checked after subscribing, so a
     * notification that raced ahead of the subscription is not missed.
     */
    wait: async (operationId: string, ms: number, isDone: () => Promise<boolean>): Promise<boolean> => {
      if (ms <= 0) return isDone();
      await ensure().catch(() => undefined);
      return new Promise<boolean>((resolve) => {
        let settled = false;
        const set = waiters.get(operationId) ?? new Set();
        waiters.set(operationId, set);
        const finish = (done: boolean) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          set.delete(check);
          if (set.size === 0) waiters.delete(operationId);
          resolve(done);
        };
        const check = () => {
          void isDone().then((d) => d && finish(true), () => undefined);
        };
        const timer = setTimeout(() => void isDone().then(finish, () => finish(false)), ms);
        set.add(check);
        check();
      });
    },
    close: async () => {
      closed = true;
      await client?.end().catch(() => undefined);
    },
  };
};

export type OperationWaiter = ReturnType<typeof operationWaiterFactory>;
