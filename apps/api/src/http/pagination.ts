import { lineText, secretNameSchema, ValidationError } from '@nembl/core';
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

const MAX_CURSOR_LENGTH = 2048;

export interface CursorCodec<K> {
  encode(key: K): string;
  /** `?cursor=`: undefined when absent; a 400 naming `cursor` unless it is one this codec made. */
  decode(raw: unknown): K | undefined;
}

/**
 * Opaque cursors: base64url JSON of the last item's sort key. The key is validated by `schema` on
 * the way back in, so a forged cursor (valid base64, wrong content) never reaches SQL.
 */
export const cursorCodec = <K, T extends readonly unknown[]>(
  schema: z.ZodType<T>,
  fromTuple: (tuple: T) => K,
  toTuple: (key: K) => T,
): CursorCodec<K> => ({
  encode: (key) => Buffer.from(JSON.stringify(toTuple(key)), 'utf8').toString('base64url'),
  decode: (raw) => {
    if (raw === undefined) return undefined;
    const bad = () => ValidationError.field('cursor', 'is not a valid cursor');
    if (typeof raw !== 'string' || raw.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]*$/.test(raw)) throw bad();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    } catch {
      throw bad();
    }
    const result = schema.safeParse(parsed);
    if (!result.success) throw bad();
    return fromTuple(result.data);
  },
});

const uuid = z.uuid();

/** (name, id) order: tokens, policies, connectors, workflows. */
export const nameCursor = cursorCodec(
  z.tuple([lineText.min(1).max(1024), uuid]),
  ([name, id]) => ({ name, id }),
  (k: { name: string; id: string }) => [k.name, k.id] as [string, string],
);

/** (email, id) order: users. */
export const emailCursor = cursorCodec(
  z.tuple([lineText.min(1).max(254), uuid]),
  ([email, id]) => ({ email, id }),
  (k: { email: string; id: string }) => [k.email, k.id] as [string, string],
);

/** Name order: secrets (names are unique per company). */
export const secretNameCursor = cursorCodec(
  z.tuple([secretNameSchema]),
  ([name]) => name,
  (name: string) => [name] as [string],
);

/** (at, seq) newest first: audit events. */
export const auditCursor = cursorCodec(
  z.tuple([z.iso.datetime({ offset: true }), z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)]),
  ([at, seq]) => ({ at: new Date(at), seq }),
  (k: { at: Date; seq: number }) => [k.at.toISOString(), k.seq] as [string, number],
);

/** Takes `limit + 1` rows and builds the page and the cursor from the extra row's presence. */
export const toPage = <R, T, K>(
  rows: R[],
  limit: number,
  codec: CursorCodec<K>,
  key: (row: R) => K,
  map: (row: R) => T,
): Page<T> => {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(map),
    nextCursor: rows.length > limit && last !== undefined ? codec.encode(key(last)) : null,
  };
};
