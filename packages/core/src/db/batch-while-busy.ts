export interface BatchWhileBusyOptions<I, O> {
  /**
   * Runs one batch; answers one result per item, in order. When a batch of several throws, each of
   * its items is run again on its own (so one item's failure is never another's), unless
   * `splitOnError` is false, or a function that answers false for the error: then every item
   * fails with it.
   */
  run: (items: I[]) => Promise<O[]>;
  /** Batches running at once; further items wait and go together in the next one. */
  maxInFlight?: number;
  maxItems?: number;
  /** Items that must not share a batch (e.g. two operations on one secret) get the same key. */
  keyOf?: (item: I) => string;
  splitOnError?: boolean | ((err: unknown) => boolean);
}

interface Waiting<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers concurrent calls into batches without ever waiting on purpose: a call made while fewer
 * than `maxInFlight` batches run goes at once (a batch of one when the system is quiet); calls
 * made while they run wait for one to end and then go together. So batches grow exactly as
 * fast as the work arrives, and a statement per operation becomes a statement per batch under load.
 */
export const batchWhileBusy = <I, O>(opts: BatchWhileBusyOptions<I, O>) => {
  const maxInFlight = opts.maxInFlight ?? 2;
  const maxItems = opts.maxItems ?? 100;
  let waiting: Array<Waiting<I, O>> = [];
  let inFlight = 0;

  const next = (): void => {
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch: Array<Waiting<I, O>> = [];
      const rest: Array<Waiting<I, O>> = [];
      const keys = new Set<string>();
      for (const w of waiting) {
        const key = opts.keyOf?.(w.item);
        if (batch.length >= maxItems || (key !== undefined && keys.has(key))) rest.push(w);
        else {
          if (key !== undefined) keys.add(key);
          batch.push(w);
        }
      }
      waiting = rest;
      inFlight++;
      opts
        .run(batch.map((w) => w.item))
        .then(
          (results) => batch.forEach((w, i) => w.resolve(results[i] as O)),
          async (err: unknown) => {
            const split = typeof opts.splitOnError === 'function' ? opts.splitOnError(err) : opts.splitOnError !== false;
            if (batch.length === 1 || !split) return batch.forEach((w) => w.reject(err));
            for (const w of batch) {
              await opts.run([w.item]).then(
                (results) => w.resolve(results[0] as O),
                (e: unknown) => w.reject(e),
              );
            }
          },
        )
        .finally(() => {
          inFlight--;
          next();
        });
    }
  };

  return (item: I): Promise<O> =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      next();
    });
};
