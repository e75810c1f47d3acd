import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => t?.close());

const newUser = (over: Record<string, unknown> = {}) => ({
  email: `u-${Math.random().toString(36).slice(2)}@example.com`,
  name: 'Dev',
  password: 'developer password 1',
  roles: ['Developer'],
  groups: ['payments'],
  ...over,
});

describe('users', () => {
  it('lets an Admin create, list, read, rename and remove users', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const created = await admin.post('/api/v1/users', newUser({ name: 'Dee' }));
    expect(created.status).toBe(201);
    expect(created.body.user).toMatchObject({ name: 'Dee', roles: ['Developer'], groups: ['payments'], createdAt: expect.any(String) });
    expect(Object.keys(created.body.user).sort()).toEqual(['createdAt', 'email', 'groups', 'id', 'name', 'roles']);
    const id = created.body.user.id;

    const list = await admin.get('/api/v1/users');
    expect(list.status).toBe(200);
    expect(list.body.items.map((u: { id: string }) => u.id)).toContain(id);
    expect(list.body.nextCursor).toBeNull();

    expect((await admin.get(`/api/v1/users/${id}`)).body.user.name).toBe('Dee');
    expect((await admin.patch(`/api/v1/users/${id}`, { name: 'Dee Dee' })).body.user.name).toBe('Dee Dee');
    expect((await admin.delete(`/api/v1/users/${id}`)).status).toBe(204);
    expect((await admin.get(`/api/v1/users/${id}`)).status).toBe(404);
  });

  it('paginates with an opaque cursor and rejects bad limits and cursors', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    for (let i = 0; i < 4; i++) expect((await admin.post('/api/v1/users', newUser())).status).toBe(201);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await admin.get(`/api/v1/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((u: { email: string }) => u.email));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect([...seen].sort()).toEqual(seen);
    expect(pages).toBe(3);
    for (const q of ['limit=0', 'limit=201', 'limit=abc', 'cursor=%%%', 'cursor=bm9wZQ']) {
      const res = await admin.get(`/api/v1/users?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body.errors[0].path).toBe(q.split('=')[0]);
    }
  });

  it('lets the new user sign in with the given roles', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const u = newUser();
    await admin.post('/api/v1/users', u);
    const dev = new ApiClient(t.url);
    expect((await dev.login(u.email, u.password)).status).toBe(200);
    expect((await dev.get('/api/v1/me')).body).toMatchObject({ roles: ['Developer'], groups: ['payments'] });
  });

  it('denies a non-admin managing users (default deny) with 403 naming the action', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const u = newUser();
    await admin.post('/api/v1/users', u);
    const dev = new ApiClient(t.url);
    await dev.login(u.email, u.password);
    const res = await dev.post('/api/v1/users', newUser({ roles: ['Admin'] }));
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain('users:write');
    expect(res.body.reason).toBe('implicit_deny');
  });

  it('protects the last Admin from demotion and removal (409), and allows it once another Admin exists', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const demote = await admin.patch(`/api/v1/users/${s.user.id}`, { roles: ['Developer'] });
    expect(demote.status).toBe(409);
    expect(demote.body.type).toBe('/problems/conflict');
    expect((await admin.delete(`/api/v1/users/${s.user.id}`)).status).toBe(409);
    const second = await admin.post('/api/v1/users', newUser({ roles: ['Admin'] }));
    expect(second.status).toBe(201);
    expect((await admin.patch(`/api/v1/users/${s.user.id}`, { roles: ['Developer'] })).status).toBe(200);
  });

  it('ends a user’s sessions when demoted, when their password is reset, and when removed', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const u = newUser({ roles: ['Developer', 'Viewer'] });
    const id = (await admin.post('/api/v1/users', u)).body.user.id;
    const login = async (password = u.password) => {
      const c = new ApiClient(t.url);
      expect((await c.login(u.email, password)).status).toBe(200);
      return c;
    };

    let dev = await login();
    expect((await admin.patch(`/api/v1/users/${id}`, { name: 'renamed' })).status).toBe(200);
    expect((await dev.get('/api/v1/me')).status).toBe(200); // a rename keeps sessions

    expect((await admin.patch(`/api/v1/users/${id}`, { roles: ['Viewer'] })).status).toBe(200);
    expect((await dev.get('/api/v1/me')).status).toBe(401);

    dev = await login();
    expect((await admin.patch(`/api/v1/users/${id}`, { password: 'reset by the admin!' })).status).toBe(200);
    expect((await dev.get('/api/v1/me')).status).toBe(401);

    dev = await login('reset by the admin!');
    expect((await admin.delete(`/api/v1/users/${id}`)).status).toBe(204);
    expect((await dev.get('/api/v1/me')).status).toBe(401);
  });

  it('answers 404 for another company’s user and 400 for a malformed id', async () => {
    const a = new ApiClient(t.url);
    await a.signup();
    const b = new ApiClient(t.url);
    await b.signup();
    const theirs = (await b.post('/api/v1/users', newUser())).body.user.id;
    expect((await a.get(`/api/v1/users/${theirs}`)).status).toBe(404);
    expect((await a.patch(`/api/v1/users/${theirs}`, { name: 'x' })).status).toBe(404);
    expect((await a.delete(`/api/v1/users/${theirs}`)).status).toBe(404);
    expect((await b.get(`/api/v1/users/${theirs}`)).status).toBe(200);
    expect((await a.get(`/api/v1/users/${theirs}`)).body.type).toBe('/problems/not-found');
    const bad = await a.get('/api/v1/users/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('id');
  });

  it.each([
    ['an empty patch', {}, 'body'],
    ['an unknown field', { email: 'x@example.com' }, 'email'],
    ['roles of the wrong type', { roles: 'Admin' }, 'roles'],
    ['a too short password', { password: 'short' }, 'password'],
  ])('rejects %s on PATCH with 400 naming the field', async (_n, body, path) => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const res = await admin.patch(`/api/v1/users/${s.user.id}`, body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('refuses a duplicate email with 409', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const res = await admin.post('/api/v1/users', newUser({ email: s.email }));
    expect(res.status).toBe(409);
  });

  it('audits user changes without passwords', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const u = newUser({ password: 'audit-canary-password-77' });
    const id = (await admin.post('/api/v1/users', u)).body.user.id;
    await admin.patch(`/api/v1/users/${id}`, { roles: ['Viewer'] });
    await admin.delete(`/api/v1/users/${id}`);
    // Events reach the log asynchronously (audit worker); read the stored rows once they are there.
    const rows = await vi.waitFor(
      async () => {
        const found: Array<{ action: string }> = await t.dataSource.query(`SELECT * FROM audit_events WHERE company_id = $1 ORDER BY seq`, [
          s.company.id,
        ]);
        expect(found.map((r) => r.action)).toEqual(expect.arrayContaining(['users:create', 'users:update', 'users:delete']));
        return found;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(JSON.stringify(rows)).not.toContain('audit-canary-password-77');
  });
});
