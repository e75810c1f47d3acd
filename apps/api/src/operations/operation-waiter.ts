import { parseOperationOutcome, type Logger, type OperationOutcome, type OperationOutcomeFeed } from '@nembl/core';
import type { ApiOperationRepository } from './operation-repository.js';

export interface ExpectedOperation {
  /** The outcome once the operation finishes, or null when `ms` pass first. */
  within(ms: number): Promise<OperationOutcome | null>;
  /** Stops waiting (the operation was never handed to a worker). */
  cancel(): void;
}

/** How the waiter hears of outcomes: `operationOutcomeFeed` (Redis pub/sub) in production. */
export type OutcomeFeedFactory = (handlers: {
  onOutcome: (outcomeJson: string) => void;
  onState: (listening: boolean) => void;
}) => OperationOutcomeFeed;

/**
 * Lets a request wait briefly for its operation. The worker announces each finished operation
 * with its outcome once the statement that finishes it has committed; one subscription per API
 * process hands it to the waiting request, which answers from it without reading the operation or
 * the secret again. A request starts expecting its operation before the job is enqueued, so no
 * announcement can come too early. Should one be missed (the subscription reconnecting, a worker
 * gone between its commit and the announcement), the request reads the outcome once when its
 * wait ends, every waiting request is checked once the subscription is back, and while there is
 * none at all the waits look every `pollMs`.
 */
export const operationWaiterFactory = (deps: {
  feed: OutcomeFeedFactory;
  logger: Logger;
  operations: Pick<ApiOperationRepository, 'findOutcomes'>;
  pollMs?: number;
}) => {
  const { operations } = deps;
  const pollMs = deps.pollMs ?? 200;
  const waiting = new Map<string, Set<(o: OperationOutcome) => void>>();

  const deliver = (o: OperationOutcome) => {
    const set = waiting.get(o.id);
    if (set) for (const wake of set) wake(o);
  };

  const look = async (ids: string[]): Promise<void> => {
    if (ids.length === 0) return;
    try {
      for (const o of await operations.findOutcomes(ids)) deliver(o);
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message } }, 'could not read operation outcomes');
    }
  };

  const listener = deps.feed({
    onOutcome: (payload) => {
      if (waiting.size === 0) return;
      const outcome = parseOperationOutcome(payload);
      if (outcome) deliver(outcome);
    },
    onState: (listening) => {
      if (listening) void look([...waiting.keys()]);
    },
  });

  const expect = (operationId: string): ExpectedOperation => {
    let early: OperationOutcome | undefined;
    let wake: ((o: OperationOutcome | null) => void) | undefined;
    const onOutcome = (o: OperationOutcome) => {
      early ??= o;
      wake?.(o);
    };
    const set = waiting.get(operationId) ?? new Set();
    waiting.set(operationId, set);
    set.add(onOutcome);
    const cancel = () => {
      set.delete(onOutcome);
      if (set.size === 0 && waiting.get(operationId) === set) waiting.delete(operationId);
    };

    const within = (ms: number): Promise<OperationOutcome | null> =>
      new Promise((resolve) => {
        let settled = false;
        let poll: NodeJS.Timeout | undefined;
        const finish = (o: OperationOutcome | null) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          clearInterval(poll);
          cancel();
          resolve(o);
        };
        wake = finish;
        // The last look, for a notification that was missed.
        const timer = setTimeout(
          () =>
            void operations.findOutcomes([operationId]).then(
              ([o]) => finish(o ?? null),
              () => finish(null),
            ),
          Math.max(0, ms),
        );
        if (early) return finish(early);
        if (!listener.listening()) poll = setInterval(() => void look([operationId]), pollMs);
      });

    return { within, cancel };
  };

  return {
    start: () => listener.start(),
    expect,
    close: () => listener.close(),
  };
};

export type OperationWaiter = ReturnType<typeof operationWaiterFactory>;
