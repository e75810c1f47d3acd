/**
 * The per-request evaluation budget. Policy decisions are synchronous; a list filtered by policy
 * makes one per row, and a company's set can make each cost up to its limits allow. So a filter
 * never runs for more than `SLICE_MS` without giving the event loop back: other requests (other
 * companies') are served in between. Every item is still decided exactly, nothing is skipped.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export const SLICE_MS = 2;

/**
 * How long one list request may spend deciding rows in all. Past it the list answers with what
 * it found so far and a cursor after the last row it decided (a page may then hold fewer items
 * than asked for, even none, with a `nextCursor`): the worst policy set inside the limits costs a
 * caller more pages, never a long request or a busy process.
 */
export const LIST_BUDGET_MS = 25;

export interface Scan<T> {
  kept: T[];
  /** How many items were decided (the first `examined` of `items`). */
  examined: number;
}

/**
 * The items `keep` accepts, in order, stopping once `max` are kept or at `deadline`
 * (`performance.now()` time; at least one item is always decided, so paging makes progress).
 * Yields to the event loop whenever a slice of `sliceMs` is used up.
 */
export const scanWithinBudget = async <T>(
  items: readonly T[],
  keep: (item: T) => boolean,
  { max = Number.POSITIVE_INFINITY, deadline = Number.POSITIVE_INFINITY, sliceMs = SLICE_MS } = {},
): Promise<Scan<T>> => {
  const kept: T[] = [];
  let examined = 0;
  let sliceStarted = performance.now();
  for (const item of items) {
    if (kept.length >= max) break;
    if (keep(item)) kept.push(item);
    examined += 1;
    const t = performance.now();
    if (t >= deadline) break;
    if (t - sliceStarted >= sliceMs) {
      await nextTurn();
      sliceStarted = performance.now();
    }
  }
  return { kept, examined };
};

/** The items `keep` accepts, in order, stopping once `max` are kept; every item decided exactly. */
export const keepWithinBudget = async <T>(
  items: readonly T[],
  keep: (item: T) => boolean,
  max = Number.POSITIVE_INFINITY,
  sliceMs = SLICE_MS,
): Promise<T[]> => (await scanWithinBudget(items, keep, { max, sliceMs })).kept;
