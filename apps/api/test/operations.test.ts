import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';
import { faultyStore } from './store-faults.js';

const encodeCursor = (key: unknown[]) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

interface Operation {
  id: string;
  kind: string;
  secretName: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  error?: { code: string; message: string };
  createdAt: string;
  finishedAt: string | null;
}

let t: TestApi;
let faulty: ReturnType<typeof faultyStore>;
beforeAll(async () => {
  t = await startTestApi({ NEMBL_WRITE_WAIT_MS: '2000' }, { wrapStore: (s) => (faulty = faultyStore(s)).store });
});
afterAll(async () => t?.close());

const password = 'a long enough password';

const list = async (c: ApiClient, query = ''): Promise<Operation[]> => {
  const res = await c.get(`/api/v1/operations?limit=200${query}`);
  expect(res.status, res.text).toBe(200);
  expect(res.body.nextCursor).toBeNull();
  return res.body.items;
};

const settled = (c: ApiClient, id: string) =>
  vi.waitFor(
    async () => {
      const op = (await c.get(`/api/v1/operations/${id}`)).body as Operation;
      if (op.status !== 'succeeded' && op.status !== 'failed') throw new Error(`still ${op.status}`);
      return op;
    },
    { timeout: 15_000, interval: 50 },
  );

describe('GET /operations', () => {
  let admin: ApiClient;
  let dev: ApiClient;
  let nobody: ApiClient;
  const ids: Record<string, string> = {};
  let release: () => void;

  beforeAll(async () => {
    admin = new ApiClient(t.url);
    await admin.signup();
    const user = async (roles: string[]) => {
      const email = `${roles.join('-') || 'nobody'}-${Math.random().toString(36).slice(2, 8)}@example.com`;
      expect((await admin.post('/api/v1/users', { email, name: email, password, roles, groups: [] })).status).toBe(201);
      const c = new ApiClient(t.url);
      expect((await c.login(email, password)).status).toBe(200);
      return c;
    };
    dev = await user(['Developer']);
    nobody = await user([]);
    await admin.post('/api/v1/policies', {
      name: 'hide-high',
      statements: [
        {
          sid: 'hide-high',
          effect: 'deny',
          actions: ['secrets:read'],
          principals: { roles: ['Developer'] },
          conditions: { StringEquals: { 'resource.tag/sensitivity': 'high' } },
        },
      ],
    });
    const write = async (key: string, res: Promise<{ status: number; body: { operation: Operation } }>) => {
      const r = await res;
      expect([200, 201, 202], key).toContain(r.status);
      ids[key] = r.body.operation.id;
    };
    await write('create alpha', admin.post('/api/v1/secrets', { name: 'alpha', value: 'a1' }));
    await write('update alpha', admin.put('/api/v1/secrets/alpha/value', { value: 'a2' }));
    await write(
      'create hidden',
      admin.post('/api/v1/secrets', { name: 'hidden', value: 'h', tags: { sensitivity: 'high' } }),
    );
    await write('create gone', admin.post('/api/v1/secrets', { name: 'gone', value: 'g' }));
    await settled(admin, ids['create gone']!);
    await write('delete gone', admin.delete('/api/v1/secrets/gone', { confirm: 'gone' }));
    await settled(admin, ids['delete gone']!);
    faulty.refuseWrites('AccessDenied');
    await write('create refused', admin.post('/api/v1/secrets', { name: 'refused', value: 'r' }));
    await settled(admin, ids['create refused']!);
    faulty.heal();
    // One write held in the store: it stays running while the test looks.
    const held = faulty.holdNextWrite();
    release = held.release;
    await write('create held', admin.post('/api/v1/secrets', { name: 'held', value: 'x' }));
    await held.entered;
  });
  afterAll(() => release?.());

  it('lists every operation newest first, in the shape of GET /operations/{id}', async () => {
    const items = await list(admin);
    expect(items.map((o) => o.id)).toEqual(
      [
        'create held',
        'create refused',
        'delete gone',
        'create gone',
        'create hidden',
        'update alpha',
        'create alpha',
      ].map((k) => ids[k]),
    );
    const createdAt = items.map((o) => o.createdAt);
    expect(createdAt).toEqual([...createdAt].sort().reverse());
    for (const op of items) expect(op).toEqual((await admin.get(`/api/v1/operations/${op.id}`)).body);
    expect(items.find((o) => o.id === ids['create refused'])).toMatchObject({
      status: 'failed',
      secretName: 'refused',
      error: { code: 'AccessDenied', message: expect.any(String) },
    });
    expect(items.find((o) => o.id === ids['create held'])).toMatchObject({ status: 'running', finishedAt: null });
    expect(JSON.stringify(items)).not.toMatch(/"a1"|"a2"/);
  });

  it('filters by status (repeatable) and by secret, deleted secrets included', async () => {
    const byStatus = async (...statuses: string[]) =>
      (await list(admin, statuses.map((s) => `&status=${s}`).join(''))).map((o) => o.id);
    expect(await byStatus('failed')).toEqual([ids['create refused']]);
    expect(await byStatus('running', 'failed')).toEqual([ids['create held'], ids['create refused']]);
    expect(await byStatus('queued')).toEqual([]);
    expect((await byStatus('succeeded')).sort()).toEqual(
      ['delete gone', 'create gone', 'create hidden', 'update alpha', 'create alpha'].map((k) => ids[k]).sort(),
    );
    expect((await list(admin, '&secret=alpha')).map((o) => o.kind)).toEqual(['update_value', 'create']);
    expect((await list(admin, '&secret=gone')).map((o) => o.kind)).toEqual(['delete', 'create']);
    expect(await list(admin, '&secret=gone&status=failed')).toEqual([]);
    expect(await list(admin, '&secret=never-existed')).toEqual([]);
  });

  it('shows only operations on secrets the caller may read', async () => {
    const devIds = (await list(dev)).map((o) => o.id);
    expect(devIds).toEqual((await list(admin)).map((o) => o.id).filter((id) => id !== ids['create hidden']));
    expect((await dev.get(`/api/v1/operations/${ids['create hidden']}`)).status).toBe(404);
    expect(await list(dev, '&secret=hidden')).toEqual([]);
    expect(await list(nobody)).toEqual([]);
    // Another company sees none of them.
    const other = new ApiClient(t.url);
    await other.signup();
    expect(await list(other)).toEqual([]);
  });

  it('pages with an opaque cursor, even through rows the policy hides', async () => {
    for (const c of [admin, dev]) {
      const all = (await list(c)).map((o) => o.id);
      const paged: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; body: { items: Operation[]; nextCursor: string | null } } = await c.get(
          `/api/v1/operations?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(2);
        paged.push(...res.body.items.map((o) => o.id));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(paged).toEqual(all);
    }
  });

  it('answers bad parameters with 400 naming them, and needs credentials', async () => {
    const cases: Array<[string, string]> = [
      ['status=done', 'status'],
      ['status=failed&status=done', 'status'],
      ['secret=Not%20A%20Name', 'secret'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['cursor=garbage', 'cursor'],
      [`cursor=${encodeCursor(['yesterday', 'x'])}`, 'cursor'],
      [`cursor=${encodeCursor([new Date().toISOString(), 'not-a-uuid'])}`, 'cursor'],
    ];
    for (const [query, path] of cases) {
      const res = await admin.get(`/api/v1/operations?${query}`);
      expect(res.status, query).toBe(400);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        query,
      ).toEqual([path]);
    }
    expect((await new ApiClient(t.url).get('/api/v1/operations')).status).toBe(401);
  });
});
