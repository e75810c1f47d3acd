import { createHash } from 'node:crypto';
import type { AuditEventPayload, AuditRecord, ChainedAuditRecord, ChainHead, ChainVerification } from './audit-types.js';

/** The `prevHash` of a company's first event. */
export const GENESIS_HASH = '0'.repeat(64);

export const EMPTY_CHAIN: ChainHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/**
 * Deterministic JSON: object keys sorted at every level, no whitespace. Only JSON values are
 * accepted (no undefined, functions or non-finite numbers), so the same record always gives
 * the same bytes whatever order its properties were built in.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
};

/** The hashed fields of a record, in canonicalJson's (sorted) key order. */
const HASHED_FIELDS = (
  [
    'id',
    'companyId',
    'seq',
    'idempotencyKey',
    'at',
    'actorType',
    'actorId',
    'actorLabel',
    'action',
    'resourceKind',
    'resourceName',
    'decision',
    'reason',
    'count',
    'operationId',
    'requestId',
    'ip',
    'userAgent',
    'prevHash',
  ] as const satisfies ReadonlyArray<keyof AuditRecord>
)
  .slice()
  .sort();
const KEY_PREFIXES = HASHED_FIELDS.map((k, i) => `${i === 0 ? '{' : ','}${JSON.stringify(k)}:`);

/**
 * `canonicalJson` of exactly the hashed fields of `r` (so a stray property, such as `hash`
 * itself, never leaks into the hash), built without sorting or intermediate objects: the worker
 * hashes every event it chains, and the generic walk cost it more than the hash. Any value but a
 * string, null or finite number (which no record holds) goes through `canonicalJson`, so the
 * bytes, and the errors, are the same.
 */
export const canonicalAuditRecord = (r: AuditRecord): string => {
  let out = '';
  for (let i = 0; i < HASHED_FIELDS.length; i++) {
    const v: unknown = r[HASHED_FIELDS[i]!];
    out +=
      KEY_PREFIXES[i]! +
      (v === null ? 'null' : typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? JSON.stringify(v) : canonicalJson(v));
  }
  return `${out}}`;
};

/** `sha256(prevHash ‖ canonical record)`, hex. */
export const hashAuditRecord = (r: AuditRecord): string =>
  createHash('sha256').update(r.prevHash, 'utf8').update(canonicalAuditRecord(r), 'utf8').digest('hex');

/**
 * Appends events to a chain whose last link is `head`: numbers them, links each to the one
 * before and hashes it. `ids` gives each new record its id (a uuid in production).
 */
export const appendToChain = (
  head: ChainHead,
  events: readonly AuditEventPayload[],
  ids: () => string,
): { records: ChainedAuditRecord[]; head: ChainHead } => {
  let { seq, hash } = head;
  const records = events.map((e): ChainedAuditRecord => {
    seq += 1;
    const record: AuditRecord = {
      id: ids(),
      companyId: e.companyId,
      seq,
      idempotencyKey: e.idempotencyKey,
      at: new Date(e.at).toISOString(),
      actorType: e.actor.type,
      actorId: e.actor.id,
      actorLabel: e.actor.label,
      action: e.action,
      resourceKind: e.resource.kind,
      resourceName: e.resource.name,
      decision: e.decision,
      reason: e.reason,
      count: e.count,
      operationId: e.operationId,
      requestId: e.requestId,
      ip: e.ip,
      userAgent: e.userAgent,
      prevHash: hash,
    };
    hash = hashAuditRecord(record);
    return { ...record, hash };
  });
  return { records, head: { seq, hash } };
};

/**
 * Checks a chain one record at a time, in seq order, so a caller can stream a long chain in
 * chunks. A record is bad when its seq is not the next one, its `prevHash` is not the previous
 * record's hash, or its own hash does not match its content; checking stops at the first bad
 * one. `finish(head)` also compares the end of the walk with the stored chain head, which
 * catches removed trailing events (reported with no event id: there is none left to name).
 */
export const chainVerifier = (start: ChainHead = EMPTY_CHAIN) => {
  let expected = { ...start };
  let checked = 0;
  let firstBad: string | null = null;
  let broken = false;
  return {
    /** False once the chain is broken; further records are ignored. */
    push: (r: ChainedAuditRecord): boolean => {
      if (broken) return false;
      checked += 1;
      if (r.seq !== expected.seq + 1 || r.prevHash !== expected.hash || hashAuditRecord(r) !== r.hash) {
        broken = true;
        firstBad = r.id;
        return false;
      }
      expected = { seq: r.seq, hash: r.hash };
      return true;
    },
    finish: (head?: ChainHead): ChainVerification => {
      if (!broken && head && (head.seq !== expected.seq || head.hash !== expected.hash)) broken = true;
      return { ok: !broken, checked, firstBadEventId: firstBad };
    },
  };
};

/** Verifies a whole chain held in memory (tests, small chains). */
export const verifyChain = (records: readonly ChainedAuditRecord[], head?: ChainHead): ChainVerification => {
  const v = chainVerifier();
  for (const r of records) if (!v.push(r)) break;
  return v.finish(head);
};
