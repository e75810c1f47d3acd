import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auditLogServiceFactory } from '../src/audit/audit-log-service.js';
import { auditRepositoryFactory } from '../src/audit/audit-repository.js';
import { ApiClient, startTestApi, type TestApi } from './harness.js';
import { parseCsv } from './csv.js';

interface AuditEvent {
  id: string;
  at: string;
  actor: { type: string; id: string | null; label: string };
  action: string;
  resource: { kind: string; name: string | null };
  decision: string;
  reason: string;
  count: number;
  operationId?: string;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  hash: string;
  prevHash: string;
}

const HOSTILE_UA = '=HYPERLINK("http://127.0.0.1/x","click"), "quoted"';
const TOKEN_NAME = '+cmd|calc';

let t: TestApi;
let admin: ApiClient;
let nobody: ApiClient;
let everything: AuditEvent[];

/** Every event of the company, newest first, through GET /audit pages. */
const auditAll = async (query = ''): Promise<AuditEvent[]> => {
  const out: AuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const res: { status: number; body: { items: AuditEvent[]; nextCursor: string | null } } = await admin.get(
      `/api/v1/audit?limit=200${query}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.status).toBe(200);
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
};

const exportJsonl = async (query: string): Promise<AuditEvent[]> => {
  const res = await admin.get(`/api/v1/audit/export?format=jsonl${query}`);
  expect(res.status, res.text).toBe(200);
  return res.text === ''
    ? []
    : res.text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as AuditEvent);
};

beforeAll(async () => {
  t = await startTestApi();
  admin = new ApiClient(t.url);
  const s = await admin.signup();
  const created = await admin.post('/api/v1/users', {
    email: 'nobody@example.com',
    name: 'Nobody',
    password: 'powerless password 1',
    roles: [],
    groups: [],
  });
  expect(created.status).toBe(201);
  nobody = new ApiClient(t.url);
  expect((await nobody.login('nobody@example.com', 'powerless password 1')).status).toBe(200);
  for (const name of ['alpha', 'beta'])
    expect([201, 202]).toContain((await admin.post('/api/v1/secrets', { name, value: `value-of-${name}` })).status);
  expect((await admin.get('/api/v1/secrets/alpha', { 'user-agent': HOSTILE_UA })).status).toBe(200);
  expect((await nobody.get('/api/v1/users')).status).toBe(403);
  const token = await admin.post('/api/v1/tokens', { name: TOKEN_NAME, roles: ['Viewer'] });
  expect((await ApiClient.withToken(t.url, token.body.token).get('/api/v1/secrets/beta')).status).toBe(200);
  expect((await new ApiClient(t.url).login(s.email, 'wrong password!!')).status).toBe(401);
  everything = await vi.waitFor(
    async () => {
      const all = await auditAll();
      const want = ['secrets:create_succeeded', 'auth:login_failed', 'users:read'];
      if (!want.every((a) => all.some((e) => e.action === a)) || !all.some((e) => e.actor.label === TOKEN_NAME))
        throw new Error('not yet');
      if (all.filter((e) => e.action === 'secrets:create_succeeded').length < 2) throw new Error('not yet');
      return all;
    },
    { timeout: 15_000, interval: 100 },
  );
});
afterAll(async () => t?.close());

describe('GET /audit/export', () => {
  it('streams every event as JSON Lines, oldest first, as an attachment with the hash-chain fields', async () => {
    const res = await admin.get('/api/v1/audit/export?format=jsonl');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="nembl-audit-\d{8}T\d{6}Z\.jsonl"$/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const events = res.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEvent);
    // Events written after `everything` was read (the reads of this test) may follow; the start is the same, reversed.
    expect(events.slice(0, everything.length)).toEqual([...everything].reverse());
    for (const e of events)
      expect(e).toMatchObject({
        hash: expect.stringMatching(/^[0-9a-f]{64}$/),
        prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
    expect(res.text).not.toContain('value-of-');
  });

  it('takes the filters of GET /audit', async () => {
    const cases = [
      '&action=secrets:create',
      '&secret=alpha',
      '&decision=deny',
      `&actor=${encodeURIComponent(TOKEN_NAME)}`,
    ];
    const first = everything[everything.length - 1]!;
    const last = everything[0]!;
    cases.push(`&from=${encodeURIComponent(first.at)}&to=${encodeURIComponent(last.at)}`);
    for (const query of cases) {
      const expected = [...(await auditAll(query))].reverse();
      expect(expected.length, query).toBeGreaterThan(0);
      expect(await exportJsonl(query), query).toEqual(expected);
    }
    expect(await exportJsonl('&secret=no-such-secret')).toEqual([]);
  });

  it('writes CSV with a header, one row per event, cells escaped and formulas defused', async () => {
    const res = await admin.get(
      '/api/v1/audit/export?format=csv&to=' +
        encodeURIComponent(new Date(Date.parse(everything[0]!.at) + 1).toISOString()),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="nembl-audit-.*\.csv"$/);
    const [header, ...rows] = parseCsv(res.text);
    expect(header).toEqual([
      'id',
      'at',
      'actor.type',
      'actor.id',
      'actor.label',
      'action',
      'resource.kind',
      'resource.name',
      'decision',
      'reason',
      'count',
      'operationId',
      'requestId',
      'ip',
      'userAgent',
      'hash',
      'prevHash',
    ]);
    const col = (name: string) => header!.indexOf(name);
    const oldestFirst = [...everything].reverse();
    expect(rows.map((r) => r[col('id')])).toEqual(oldestFirst.map((e) => e.id));
    const defuse = (s: string | null | undefined) => (s == null ? '' : /^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
    rows.forEach((r, i) => {
      const e = oldestFirst[i]!;
      expect(r).toEqual(
        [
          e.id,
          e.at,
          e.actor.type,
          e.actor.id,
          e.actor.label,
          e.action,
          e.resource.kind,
          e.resource.name,
          e.decision,
          e.reason,
          String(e.count),
          e.operationId,
          e.requestId,
          e.ip,
          e.userAgent,
          e.hash,
          e.prevHash,
        ].map(defuse),
      );
    });
    // The hostile user agent and token name made it into the file as text, not formulas.
    expect(rows.some((r) => r[col('userAgent')] === `'${HOSTILE_UA}`)).toBe(true);
    expect(rows.some((r) => r[col('actor.label')] === `'${TOKEN_NAME}`)).toBe(true);
    expect(rows.flat().filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
  });

  it('reads a long log chunk by chunk without losing or repeating an event', async () => {
    const service = auditLogServiceFactory({
      repo: auditRepositoryFactory({ dataSource: t.dataSource }),
      exportChunkSize: 2,
    });
    const companyId = (await admin.get('/api/v1/me')).body.company.id as string;
    const chunks: string[][] = [];
    for await (const chunk of service.export(companyId, {})) chunks.push(chunk.map((e) => e.id));
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.slice(0, -1).every((c) => c.length === 2)).toBe(true);
    expect(chunks.flat().slice(0, everything.length)).toEqual([...everything].reverse().map((e) => e.id));
  });

  it('is itself audited', async () => {
    expect((await admin.get('/api/v1/audit/export?format=csv&secret=beta')).status).toBe(200);
    const events = await vi.waitFor(
      async () => {
        const items = await auditAll('&action=audit:export');
        if (!items.some((e) => e.reason === 'export:csv')) throw new Error('not yet');
        return items;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(events.find((e) => e.reason === 'export:csv')).toMatchObject({
      decision: 'allow',
      resource: { kind: 'audit', name: null },
      actor: { type: 'user' },
    });
  });

  it('needs audit:read, and answers bad parameters with 400 naming them', async () => {
    expect((await new ApiClient(t.url).get('/api/v1/audit/export?format=csv')).status).toBe(401);
    const denied = await nobody.get('/api/v1/audit/export?format=csv');
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toContain('audit:read');
    expect(denied.headers.get('content-disposition')).toBeNull();
    for (const [query, path] of [
      ['format=xlsx', 'format'],
      ['format=csv&decision=maybe', 'decision'],
      ['format=csv&from=yesterday', 'from'],
      ['format=csv&from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z', 'to'],
    ] as const) {
      const res = await admin.get(`/api/v1/audit/export?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
  });
});
