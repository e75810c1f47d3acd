import { randomUUID } from 'node:crypto';
import { batchWhileBusy, METADATA_INVALIDATION, metadataInvalidation, POLICIES_CHANGED, type Logger } from '@nembl/core';
import type { RequestHandler } from 'express';

const ACK = 'ack ';

/**
 * Makes a metadata write answered by one API process hold in every other before the answer
 * leaves (read-your-writes across processes for the secret detail and run caches), over Redis
 * pub/sub (`secretMetadataChannel`): no NOTIFY on the write path, which would serialize commits.
 *
 * After the write commits, the writer publishes `inv <company> <barrier> <origin>`; PUBLISH answers
 * how many subscribers got it. Each process drops the company's cached details and answers
 * `ack <barrier>`; the writer waits for every ack but its own (it dropped its own cache before
 * publishing). Redis delivers a subscriber's messages in publish order on its one connection, which
 * also carries the worker's operation outcomes, so an acknowledging process has also handled every
 * outcome announced before. The wait is bounded: a process too slow to answer within `timeoutMs` is
 * logged and left to its cache TTL; a process that is not subscribed serves nothing from its cache.
 * Messages are value-free: company ids and random ids.
 */
export const metadataSyncFactory = ({
  publish,
  listening,
  onInvalidate,
  logger,
  timeoutMs,
}: {
  /** PUBLISH on the metadata channel; resolves to the number of subscribers that received it. */
  publish: (message: string) => Promise<number>;
  /** True while this process's own subscription is in place. */
  listening: () => boolean;
  /** Drops the company's cached metadata; `policies`: its compiled policies too (a policy write). */
  onInvalidate: (companyId: string, policies: boolean) => void;
  logger: Pick<Logger, 'warn'>;
  timeoutMs: number;
}) => {
  const origin = randomUUID();
  const waiting = new Map<string, { need: number; got: number; done: () => void }>();

  /** One barrier: publishes the company's invalidation and waits for every other process's ack. */
  const barrier = async (companyId: string, policies: boolean): Promise<void> => {
    const id = randomUUID();
    // Acks may arrive before PUBLISH answers how many to expect: count them from the start.
    // The timeout covers the PUBLISH too: a Redis that hangs must not hold the answer.
    let done: (ok: boolean) => void = () => undefined;
    const acked = new Promise<boolean>((resolve) => (done = resolve));
    const w = { need: Infinity, got: 0, done: () => done(true) };
    waiting.set(id, w);
    const timer = setTimeout(() => done(false), timeoutMs);
    try {
      const received = await Promise.race([publish(metadataInvalidation(companyId, id, origin, policies)), acked]);
      if (typeof received === 'number') w.need = Math.max(0, received - (listening() ? 1 : 0));
      const ok = received !== false && (w.got >= w.need || (await acked));
      if (!ok)
        logger.warn({ need: w.need, got: w.got }, 'Not every API process acknowledged a metadata change in time');
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, 'Metadata change not announced');
    } finally {
      clearTimeout(timer);
      waiting.delete(id);
    }
  };

  // Writes that announce while barriers are in flight share the next one per company (each
  // published after all of their commits): under load one PUBLISH and its acks serve many writes.
  const announceBatch = batchWhileBusy<{ companyId: string; policies: boolean }, void>({
    splitOnError: false,
    run: async (writes) => {
      const companies = new Map<string, boolean>();
      for (const w of writes) companies.set(w.companyId, (companies.get(w.companyId) ?? false) || w.policies);
      await Promise.all([...companies].map(([companyId, policies]) => barrier(companyId, policies)));
      return writes.map(() => undefined);
    },
  });

  return {
    /** Handles a message on the metadata channel. */
    onMessage: (message: string): void => {
      if (message.startsWith(METADATA_INVALIDATION)) {
        const [companyId, barrier, from, scope] = message.slice(METADATA_INVALIDATION.length).split(' ');
        if (!companyId || !barrier) return;
        onInvalidate(companyId, scope === POLICIES_CHANGED);
        if (from === origin) return;
        publish(ACK + barrier).catch((err: Error) => {
          logger.warn({ err: { message: err.message } }, 'Could not acknowledge a metadata change');
        });
        return;
      }
      if (message.startsWith(ACK)) {
        const w = waiting.get(message.slice(ACK.length));
        if (w && ++w.got >= w.need) w.done();
      }
    },

    /**
     * Drops the company's cached details here at once, then resolves once every other subscribed
     * API process has dropped them too (or `timeoutMs` passed). Call after the change committed.
     */
    announce: async (companyId: string, opts: { policies?: boolean } = {}): Promise<void> => {
      const policies = opts.policies === true;
      onInvalidate(companyId, policies);
      await announceBatch({ companyId, policies });
    },
  };
};

export type MetadataSync = ReturnType<typeof metadataSyncFactory>;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A write that can change a secret's detail or list row (secrets, their owners' users, connectors
 * and workflows, which bind secrets) is answered only once every API process dropped the company's
 * cached details, lists and runs (`announce`). Policy writes announce from their routes, with
 * `policies` (compiled policies dropped too). Refusals (4xx) changed nothing and answer at once; anything else,
 * a 5xx included (it may have come after the commit), announces.
 */
export const announceMetadataOnWrite =
  (announce: (companyId: string) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      const companyId = (res.locals.principal as { companyId?: string } | undefined)?.companyId;
      if (!companyId || (res.statusCode >= 400 && res.statusCode < 500)) return end(...args);
      void announce(companyId).finally(() => end(...args));
      return res;
    }) as typeof res.end;
    next();
  };
