import { keepWithinBudget } from '../authz/evaluation-budget.js';

export interface NameCursor {
  name: string;
  id: string;
}

/**
 * Reads ahead through name-ordered pages keeping what `visible` allows, until it has more than
 * `limit` rows or the table ends — so policy filtering happens before paging and pages stay full.
 */
export const visiblePage = async <R extends NameCursor>(
  fetch: (after: NameCursor | undefined, n: number) => Promise<R[]>,
  visible: (row: R) => boolean,
  limit: number,
  after: NameCursor | undefined,
  batch = 200,
): Promise<R[]> => {
  const kept: R[] = [];
  let cursor = after;
  for (;;) {
    const rows = await fetch(cursor, batch);
    // Decided within the evaluation budget: a costly policy set cannot hold the event loop.
    kept.push(...(await keepWithinBudget(rows, visible)));
    if (kept.length > limit || rows.length < batch) return kept;
    const last = rows[rows.length - 1]!;
    cursor = { name: last.name, id: last.id };
  }
};
