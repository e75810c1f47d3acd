import type { ChainedAuditRecord } from '@nembl/core';
import { describe, expect, it } from 'vitest';
import { AUDIT_CSV_COLUMNS, auditCsvHeader, auditCsvRow, auditJsonLine, csvCell } from './audit-export-fns.js';
import { auditEventJson } from './audit-types.js';
import { parseCsv } from '../../test/csv.js';

const record = (over: Partial<ChainedAuditRecord> = {}): ChainedAuditRecord => ({
  id: '6f1c1c3e-6a53-4a4e-9d0e-1f4f3c2b1a00',
  companyId: '0b8e6f2a-4a1d-4f55-8b11-7d1e3c2a9f00',
  seq: 7,
  idempotencyKey: 'k',
  at: '2026-01-02T03:04:05.678Z',
  actorType: 'user',
  actorId: 'u1',
  actorLabel: 'ada@example.com',
  action: 'secrets:read',
  resourceKind: 'secret',
  resourceName: 'db',
  decision: 'allow',
  reason: 'explicit_allow',
  count: 1,
  operationId: null,
  requestId: 'req-1',
  ip: '127.0.0.1',
  userAgent: 'curl/8',
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
  ...over,
});

describe('CSV cells', () => {
  it('quotes commas, quotes and line breaks, and leaves plain text alone', () => {
    expect(csvCell('plain text')).toBe('plain text');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\rlf')).toBe('"cr\rlf"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
  });

  it('keeps cells a spreadsheet would run as a formula as text', () => {
    for (const s of ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx'])
      expect(csvCell(s).replace(/^"/, '')).toMatch(/^'/);
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('::1')).toBe('::1');
  });
});

describe('an audit export row', () => {
  it('has one cell per column, in the header order, with the hash-chain fields', () => {
    const header = parseCsv(auditCsvHeader())[0]!;
    expect(header).toEqual([...AUDIT_CSV_COLUMNS]);
    expect(header).toEqual(expect.arrayContaining(['hash', 'prevHash', 'id', 'at']));
    const r = record({ operationId: '9d2b0f7e-7d7a-4b8c-9a51-5c2a3b4d5e60', resourceName: null });
    const [row] = parseCsv(auditCsvRow(r));
    const byColumn = Object.fromEntries(header.map((h, i) => [h, row![i]]));
    expect(byColumn).toMatchObject({
      id: r.id,
      at: r.at,
      'actor.label': 'ada@example.com',
      'resource.name': '',
      operationId: r.operationId,
      count: '1',
      hash: r.hash,
      prevHash: r.prevHash,
    });
  });

  it('reads back exactly, whatever the user agent and label hold, formulas defused', () => {
    const hostile = record({
      actorLabel: '=cmd|"/c calc"!A1',
      userAgent: 'Mozilla/5.0 (X11, "Linux")\r\nInjected: 1',
      reason: '@SUM(1)',
    });
    const rows = parseCsv(auditCsvHeader() + auditCsvRow(hostile) + auditCsvRow(record()));
    expect(rows).toHaveLength(3);
    const [header, row] = rows;
    const cell = (name: string) => row![header!.indexOf(name)];
    expect(cell('actor.label')).toBe(`'=cmd|"/c calc"!A1`);
    expect(cell('userAgent')).toBe('Mozilla/5.0 (X11, "Linux")\r\nInjected: 1');
    expect(cell('reason')).toBe(`'@SUM(1)`);
  });

  it('as JSON Lines is the event of GET /audit, one per line', () => {
    const line = auditJsonLine(record({ userAgent: 'a\nb' }));
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(auditEventJson(record({ userAgent: 'a\nb' })))));
  });
});
