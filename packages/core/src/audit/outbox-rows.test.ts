import { describe, expect, it } from 'vitest';
import type { AuditEventPayload } from './audit-types.js';
import { isPackedAuditEvents, packAuditEvents, unpackAuditEvents } from './outbox-rows.js';

const read = (name: string, key: string, version = 1): AuditEventPayload => ({
  idempotencyKey: key,
  companyId: '6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f',
  at: '2026-12-01T21:00:00.000Z',
  actor: { type: 'token', id: 'a4f0c7e2-1b3d-4e5f-9a8b-7c6d5e4f3a2b', label: 'deploy-runner' },
  action: 'secrets:read_value',
  resource: { kind: 'secret', name },
  decision: 'allow',
  reason: `run:r1 phase:deploy version=${version}`,
  count: 1,
  operationId: null,
  requestId: 'req-1',
  ip: '127.0.0.1',
  userAgent: 'nembl-cli',
});

describe('packing the events of one write into one outbox row', () => {
  it('keeps a single event as it is, the shape every other writer stores', () => {
    const one = read('db-password', 'k1');
    expect(packAuditEvents([one])).toBe(one);
    expect(unpackAuditEvents(one)).toEqual([one]);
    expect(isPackedAuditEvents(one)).toBe(false);
  });

  it('stores the shared fields once and gives back every event, in order, field for field', () => {
    const events = [read('db-password', 'k1', 3), read('deploy-token', 'k2', 1), read('api-key', 'k3', 1)];
    const packed = packAuditEvents(events);
    expect(isPackedAuditEvents(packed)).toBe(true);
    if (!isPackedAuditEvents(packed)) return;
    expect(Object.keys(packed.shared).sort()).toEqual(
      ['action', 'actor', 'at', 'companyId', 'count', 'decision', 'ip', 'operationId', 'requestId', 'userAgent'].sort(),
    );
    expect(packed.each[0]).toEqual({ idempotencyKey: 'k1', resource: { kind: 'secret', name: 'db-password' }, reason: 'run:r1 phase:deploy version=3' });
    // As Postgres gives the jsonb back.
    expect(unpackAuditEvents(JSON.parse(JSON.stringify(packed)))).toEqual(events);
    // A resolution's ten events take well under half the space, and stay under Postgres' TOAST threshold (~2 KB).
    const ten = Array.from({ length: 10 }, (_, i) => read(`secret-${i}`, `0e5c1f2a-3b4d-4e6f-8a9b-0c1d2e3f4a${String(i).padStart(2, '0')}`));
    expect(JSON.stringify(packAuditEvents(ten)).length).toBeLessThan(JSON.stringify(ten).length / 2);
    expect(JSON.stringify(packAuditEvents(ten)).length).toBeLessThan(2000);
  });

  it('compares nested values (actor, resource) by content, and keeps a field that differs in any event per event', () => {
    const a = read('x', 'k1');
    const b = { ...read('y', 'k2'), actor: { ...a.actor }, at: '2026-12-01T21:00:00.001Z' };
    const packed = packAuditEvents([a, b]);
    if (!isPackedAuditEvents(packed)) throw new Error('not packed');
    expect(packed.shared.actor).toEqual(a.actor);
    expect(packed.shared.at).toBeUndefined();
    expect(packed.each.map((e) => e.at)).toEqual([a.at, b.at]);
    expect(unpackAuditEvents(packed)).toEqual([a, b]);
  });

  it('refuses to pack nothing', () => {
    expect(() => packAuditEvents([])).toThrow();
  });

  it('takes anything else in a row for one (unvalidated) event', () => {
    expect(unpackAuditEvents({ shared: {}, each: 'no' })).toEqual([{ shared: {}, each: 'no' }]);
    expect(unpackAuditEvents(null)).toEqual([null]);
  });
});
