export interface MicroBatcherOptions<T> {
  /** Flush as soon as this many items are waiting. */
  maxItems: number;
  /** Flush at the latest this long after the first item of a batch arrived. */
  maxWaitMs: number;
  /**
   * Writes a batch. Returns one outcome per item, index-aligned (undefined = done), so one
   * part of a batch can fail without failing the rest; a throw fails every item.
   */
  flush: (items: T[]) => Promise<ReadonlyArray<Error | undefined>>;
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Collects items from concurrent callers into batches. Each `add` resolves or rejects with its
 * own item's outcome, once the batch holding it is written; so a BullMQ job that awaits `add`
 * completes only after its event is committed, and is retried if it was not.
 */
export const microBatcher = <T>(opts: MicroBatcherOptions<T>) => {
  let pending: Pending<T>[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  const run = async (batch: Pending<T>[]): Promise<void> => {
    try {
      const outcomes = await opts.flush(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const err = outcomes[i];
        if (err) p.reject(err);
        else p.resolve();
      });
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  };

  const flushNow = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return Promise.resolve();
    const batch = pending;
    pending = [];
    const done = run(batch).finally(() => inFlight.delete(done));
    inFlight.add(done);
    return done;
  };

  return {
    add: (item: T): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (pending.length >= opts.maxItems) void flushNow();
        else timer ??= setTimeout(() => void flushNow(), opts.maxWaitMs);
      }),
    /** Writes what is waiting now and waits for every batch in flight. */
    drain: async (): Promise<void> => {
      await flushNow();
      await Promise.all([...inFlight]);
    },
  };
};
