/**
 * The per-request evaluation budget. Policy decisions are synchronous; a list filtered by policy
 * makes one per row, and a company's set can make each cost up to its limits allow. So a filter
 * never runs for more than `SLICE_MS` without giving the event loop back: other requests (other
 * companies') are served in between. Every item is still decided exactly, nothing is skipped.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';

export const SLICE_MS = 2;

/**
 * The items `keep` accepts, in order, stopping once `max` are kept. Yields to the event loop
 * whenever a slice of `sliceMs` is used up.
 */
export const keepWithinBudget = async <T>(
  items: readonly T[],
  keep: (item: T) => boolean,
  max = Number.POSITIVE_INFINITY,
  sliceMs = SLICE_MS,
): Promise<T[]> => {
  const kept: T[] = [];
  let sliceStarted = performance.now();
  for (const item of items) {
    if (kept.length >= max) break;
    if (keep(item)) kept.push(item);
    if (performance.now() - sliceStarted >= sliceMs) {
      await nextTurn();
      sliceStarted = performance.now();
    }
  }
  return kept;
};
