import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { appendToChain, canonicalAuditRecord, canonicalJson, EMPTY_CHAIN, GENESIS_HASH, hashAuditRecord, verifyChain, chainVerifier } from './audit-chain.js';
import type { AuditEventPayload, ChainedAuditRecord } from './audit-types.js';

const companyId = randomUUID();
const event = (i: number, over: Partial<AuditEventPayload> = {}): AuditEventPayload => ({
  idempotencyKey: `key-${i}`,
  companyId,
  at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
  actor: { type: 'user', id: randomUUID(), label: `user${i}@example.com` },
  action: 'secrets:create',
  resource: { kind: 'secret', name: `secret-${i}` },
  decision: 'allow',
  reason: 'explicit_allow',
  count: 1,
  operationId: randomUUID(),
  requestId: `req-${i}`,
  ip: '127.0.0.1',
  userAgent: 'vitest',
  ...over,
});

const chainOf = (n: number) => appendToChain(EMPTY_CHAIN, Array.from({ length: n }, (_, i) => event(i)), randomUUID);

describe('canonicalJson', () => {
  it('sorts keys at every level, whatever order the object was built in', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: true } })).toBe('{"a":{"c":true,"d":[1,"x",null]},"b":1}');
    expect(canonicalJson({ a: { c: true, d: [1, 'x', null] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: true } }));
  });

  it('refuses what JSON cannot represent faithfully', () => {
    expect(() => canonicalJson({ a: undefined })).toThrow(TypeError);
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
  });
});

describe('appendToChain', () => {
  it('numbers events from 1, links the first to the genesis hash and each later one to its predecessor', () => {
    const { records, head } = chainOf(3);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    expect(records[2]!.prevHash).toBe(records[1]!.hash);
    expect(head).toEqual({ seq: 3, hash: records[2]!.hash });
    for (const r of records) expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('continues an existing chain from its head', () => {
    const first = chainOf(2);
    const more = appendToChain(first.head, [event(7)], randomUUID);
    expect(more.records[0]).toMatchObject({ seq: 3, prevHash: first.head.hash });
    expect(verifyChain([...first.records, ...more.records], more.head)).toEqual({ ok: true, checked: 3, firstBadEventId: null });
  });

  it('hashes sha256(prevHash ‖ canonical record) and ignores the hash field itself', () => {
    const { records } = chainOf(1);
    const r = records[0]!;
    expect(hashAuditRecord(r)).toBe(r.hash);
    expect(hashAuditRecord({ ...r, hash: 'something else' } as ChainedAuditRecord)).toBe(r.hash);
  });
});

describe('canonicalAuditRecord', () => {
  const fieldsOf = (r: ChainedAuditRecord) => {
    const { hash: _hash, ...fields } = r;
    return fields;
  };

  it('is canonicalJson of the hashed fields, byte for byte (so stored chains still verify)', () => {
    const { records } = chainOf(3);
    const odd: ChainedAuditRecord = {
      ...records[0]!,
      actorId: null,
      resourceName: null,
      operationId: null,
      ip: null,
      userAgent: 'Mozilla/5.0 "quoted" \\ back\u0001slash\nnewline é 🙂 \u2028',
      reason: 'run:x phase:déploiement version=12',
      count: 1234567,
    };
    for (const r of [...records, odd]) {
      expect(canonicalAuditRecord(r)).toBe(canonicalJson(fieldsOf(r)));
      expect(hashAuditRecord(r)).toBe(
        createHash('sha256').update(r.prevHash, 'utf8').update(canonicalJson(fieldsOf(r)), 'utf8').digest('hex'),
      );
    }
    // A stray property is not hashed.
    expect(canonicalAuditRecord({ ...odd, extra: 'x' } as ChainedAuditRecord)).toBe(canonicalAuditRecord(odd));
  });

  it('refuses what canonicalJson refuses', () => {
    const r = chainOf(1).records[0]!;
    expect(() => canonicalAuditRecord({ ...r, count: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalAuditRecord({ ...r, ip: undefined } as unknown as ChainedAuditRecord)).toThrow(TypeError);
  });
});

describe('verifyChain', () => {
  it('accepts an intact chain and an empty one', () => {
    const { records, head } = chainOf(5);
    expect(verifyChain(records, head)).toEqual({ ok: true, checked: 5, firstBadEventId: null });
    expect(verifyChain([], EMPTY_CHAIN)).toEqual({ ok: true, checked: 0, firstBadEventId: null });
  });

  const tampered: Array<[keyof ChainedAuditRecord, unknown]> = [
    ['id', randomUUID()],
    ['companyId', randomUUID()],
    ['seq', 99],
    ['idempotencyKey', 'other-key'],
    ['at', new Date(Date.UTC(2030, 0, 1)).toISOString()],
    ['actorType', 'system'],
    ['actorId', null],
    ['actorLabel', 'mallory@example.com'],
    ['action', 'secrets:delete'],
    ['resourceKind', 'connector'],
    ['resourceName', 'other-secret'],
    ['decision', 'deny'],
    ['reason', 'explicit_deny'],
    ['count', 2],
    ['operationId', null],
    ['requestId', 'forged'],
    ['ip', '10.0.0.1'],
    ['userAgent', null],
    ['prevHash', GENESIS_HASH.replace(/^0/, '1')],
    ['hash', 'f'.repeat(64)],
  ];

  it.each(tampered)('reports the event whose %s was changed', (field, value) => {
    const { records, head } = chainOf(4);
    const bad = { ...records[2]!, [field]: value } as ChainedAuditRecord;
    const changed = [records[0]!, records[1]!, bad, records[3]!];
    expect(verifyChain(changed, head)).toEqual({ ok: false, checked: 3, firstBadEventId: bad.id });
  });

  it('reports the event after one that was re-hashed to hide an edit (its link breaks)', () => {
    const { records, head } = chainOf(3);
    const edited = { ...records[1]!, reason: 'rewritten' };
    const rehashed = { ...edited, hash: hashAuditRecord(edited) };
    expect(verifyChain([records[0]!, rehashed, records[2]!], head)).toEqual({ ok: false, checked: 3, firstBadEventId: records[2]!.id });
  });

  it('reports the event after a removed one, and a chain whose tail was removed', () => {
    const { records, head } = chainOf(4);
    expect(verifyChain([records[0]!, records[2]!, records[3]!], head).firstBadEventId).toBe(records[2]!.id);
    expect(verifyChain(records.slice(0, 3), head)).toEqual({ ok: false, checked: 3, firstBadEventId: null });
  });

  it('checks a chain pushed in chunks the same as all at once', () => {
    const { records, head } = chainOf(10);
    const v = chainVerifier();
    for (let i = 0; i < records.length; i += 3) for (const r of records.slice(i, i + 3)) v.push(r);
    expect(v.finish(head)).toEqual(verifyChain(records, head));
  });
});
