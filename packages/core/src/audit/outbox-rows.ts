import type { AuditEventPayload } from './audit-types.js';

/**
 * Several events of one company in one `audit_outbox` row: the fields whose values they all
 * share, once, and per event only the rest. The ten events of a resolution differ in their key,
 * secret and reason: packed they take ~1.3 KB instead of ~5 KB, which keeps the row under
 * Postgres' TOAST threshold (no compression on the fail-closed write), and the outbox one row
 * to insert, index, claim and delete instead of ten.
 */
export interface PackedAuditEvents {
  shared: Record<string, unknown>;
  each: Array<Record<string, unknown>>;
}

type Field = keyof AuditEventPayload;

/** The same JSON value: primitives compared as they are, objects (actor, resource) as JSON. */
const sameValue = (a: unknown, b: unknown): boolean =>
  a === b || (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && JSON.stringify(a) === JSON.stringify(b));

/**
 * The row's `event` for these events (one company's, at least one): a single event as it is (the
 * shape every other writer stores), several packed.
 */
export const packAuditEvents = (payloads: readonly AuditEventPayload[]): AuditEventPayload | PackedAuditEvents => {
  const [first, ...rest] = payloads;
  if (!first) throw new Error('packAuditEvents needs at least one event');
  if (rest.length === 0) return first;
  const fields = Object.keys(first) as Field[];
  const sharedFields = new Set(fields.filter((f) => rest.every((p) => sameValue(first[f], p[f]))));
  const shared: Record<string, unknown> = {};
  for (const f of sharedFields) shared[f] = first[f];
  const each = payloads.map((p) => {
    const own: Record<string, unknown> = {};
    for (const f of Object.keys(p) as Field[]) if (!sharedFields.has(f)) own[f] = p[f];
    return own;
  });
  return { shared, each };
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export const isPackedAuditEvents = (event: unknown): event is PackedAuditEvents =>
  isRecord(event) && isRecord(event.shared) && Array.isArray(event.each) && event.each.every(isRecord);

/** The events a row's `event` holds, in order: itself, or those packed in it (unvalidated). */
export const unpackAuditEvents = (event: unknown): unknown[] =>
  isPackedAuditEvents(event) ? event.each.map((own) => ({ ...event.shared, ...own })) : [event];
