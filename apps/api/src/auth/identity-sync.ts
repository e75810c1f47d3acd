import { randomUUID } from 'node:crypto';
import type { Logger } from '@nembl/core';
import type { IdentitySyncRepository } from './identity-sync-repository.js';

const BARRIER = 'barrier:';
const ACK = 'ack:';

/**
 * Makes an identity change answered by one API process hold in every other before the answer
 * leaves. The change's NOTIFY reaches other processes asynchronously; without this, a token
 * revoked through process A (204) could still be served from process B's cache for the few
 * milliseconds B takes to hear of it (measured: about one time in five, two processes on one
 * machine).
 *
 * After the change commits, the writer counts the connected identity listeners, sends a
 * `barrier:<id>` on the identity channel and waits until that many `ack:<id>` came back. Postgres
 * delivers notifications to each listener in commit order, so a process acknowledging the barrier
 * has already handled (dropped the cache for) the change before it. The wait is bounded: a
 * process too slow to answer within `timeoutMs` is logged and left to its cache TTL.
 */
export const identitySyncFactory = ({
  repo,
  logger,
  timeoutMs,
}: {
  repo: IdentitySyncRepository;
  logger: Pick<Logger, 'warn'>;
  timeoutMs: number;
}) => {
  const waiting = new Map<string, { need: number; got: number; done: () => void }>();

  return {
    /** Handles a barrier or an ack on the identity channel; false when the payload is neither. */
    onNotify: (payload: string): boolean => {
      if (payload.startsWith(BARRIER)) {
        // By now every change committed before the barrier has been handled here.
        repo.notify(ACK + payload.slice(BARRIER.length)).catch((err: Error) => {
          logger.warn({ err: { message: err.message } }, 'Could not acknowledge an identity barrier');
        });
        return true;
      }
      if (payload.startsWith(ACK)) {
        const w = waiting.get(payload.slice(ACK.length));
        if (w && ++w.got >= w.need) w.done();
        return true;
      }
      return false;
    },

    /** Resolves once every connected API process has handled identity changes committed so far. */
    barrier: async (): Promise<void> => {
      const id = randomUUID();
      try {
        const need = await repo.countListeners();
        if (need === 0) return;
        let timer: NodeJS.Timeout | undefined;
        const acked = new Promise<boolean>((resolve) => {
          waiting.set(id, { need, got: 0, done: () => resolve(true) });
          timer = setTimeout(() => resolve(false), timeoutMs);
        });
        await repo.notify(BARRIER + id);
        const ok = await acked;
        clearTimeout(timer);
        if (!ok) logger.warn({ need, got: waiting.get(id)?.got ?? 0 }, 'Not every API process acknowledged an identity change in time');
      } catch (err) {
        logger.warn({ err: { message: (err as Error).message } }, 'Identity barrier failed');
      } finally {
        waiting.delete(id);
      }
    },
  };
};

export type IdentitySync = ReturnType<typeof identitySyncFactory>;
