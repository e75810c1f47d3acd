import { ValidationError } from '@nembl/core';
import { z } from 'zod';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_LIMIT = 50;

const limitSchema = z.coerce.number().int().min(1).max(200);

export const parseLimit = (raw: unknown): number => {
  if (raw === undefined) return DEFAULT_LIMIT;
  const r = limitSchema.safeParse(raw);
  if (!r.success || typeof raw !== 'string' || raw.trim() === '')
    throw ValidationError.field('limit', 'must be an integer from 1 to 200');
  return r.data;
};

/** Opaque cursors: base64url JSON of the last item's sort key. */
export const encodeCursor = (key: readonly (string | number)[]): string =>
  Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

export const decodeCursor = (raw: unknown, arity: number): (string | number)[] | undefined => {
  if (raw === undefined) return undefined;
  const bad = () => ValidationError.field('cursor', 'is not a valid cursor');
  if (typeof raw !== 'string' || raw.length > 2048) throw bad();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === arity &&
      parsed.every((p) => typeof p === 'string' || typeof p === 'number')
    ) {
      return parsed as (string | number)[];
    }
  } catch {
    // fall through
  }
  throw bad();
};

/** Takes `limit + 1` rows and builds the page and the cursor from the extra row's presence. */
export const toPage = <R, T>(
  rows: R[],
  limit: number,
  key: (row: R) => (string | number)[],
  map: (row: R) => T,
): Page<T> => {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(key(last)) : null,
  };
};
