import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => t?.close());

describe('service tokens', () => {
  it('shows a token once, stores only its hash, and authenticates with it', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const res = await admin.post('/api/v1/tokens', { name: 'deploy-runner', roles: ['Runner'], groups: ['ops'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const { id, token } = res.body;
    expect(token).toMatch(/^nmbl_/);
    expect(res.body).toMatchObject({ name: 'deploy-runner', roles: ['Runner'], groups: ['ops'] });

    const list = await admin.get('/api/v1/tokens');
    expect(list.body.items).toHaveLength(1);
    expect(JSON.stringify(list.body)).not.toContain(token);
    const stored = JSON.stringify(await t.dataSource.query('SELECT * FROM service_tokens'));
    expect(stored).not.toContain(token);

    const machine = ApiClient.withToken(t.url, token);
    const me = await machine.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: null, token: { id, name: 'deploy-runner' }, company: { id: s.company.id }, roles: ['Runner'], groups: ['ops'] });
  });

  it('needs no CSRF token for bearer writes, and a token cannot change a password', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const { token } = (await admin.post('/api/v1/tokens', { name: 'admin-bot', roles: ['Admin'] })).body;
    const bot = ApiClient.withToken(t.url, token);
    expect((await bot.post('/api/v1/tokens', { name: 'child', roles: ['Admin'] })).status).toBe(201);
    expect((await bot.put('/api/v1/me/password', { currentPassword: 'x', newPassword: 'y'.repeat(12) })).status).toBe(403);
  });

  it('rejects revoked, expired, forged and malformed tokens with 401', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const a = (await admin.post('/api/v1/tokens', { name: 'a' })).body;
    expect((await admin.delete(`/api/v1/tokens/${a.id}`)).status).toBe(204);
    expect((await ApiClient.withToken(t.url, a.token).get('/api/v1/me')).status).toBe(401);
    expect((await admin.delete(`/api/v1/tokens/${a.id}`)).status).toBe(404);

    const expiresAt = new Date(t.clock.now().getTime() + 60 * 60 * 1000).toISOString();
    const b = (await admin.post('/api/v1/tokens', { name: 'b', expiresAt })).body;
    expect(b.expiresAt).toBe(expiresAt);
    expect((await ApiClient.withToken(t.url, b.token).get('/api/v1/me')).status).toBe(200);
    t.clock.advance(2 * 60 * 60 * 1000);
    expect((await ApiClient.withToken(t.url, b.token).get('/api/v1/me')).status).toBe(401);

    const forged = `${b.token.slice(0, -4)}AAAA`;
    expect((await ApiClient.withToken(t.url, forged).get('/api/v1/me')).status).toBe(401);
    expect((await ApiClient.withToken(t.url, 'not-a-token').get('/api/v1/me')).status).toBe(401);
    const empty = await fetch(`${t.url}/api/v1/me`, { headers: { authorization: 'Bearer ' } });
    expect(empty.status).toBe(401);
  });

  it('rejects an expiry in the past and a duplicate active name', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const past = await admin.post('/api/v1/tokens', { name: 'x', expiresAt: '2001-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.errors[0].path).toBe('expiresAt');
    const notADate = await admin.post('/api/v1/tokens', { name: 'x', expiresAt: 'tomorrow' });
    expect(notADate.body.errors[0].path).toBe('expiresAt');
    expect((await admin.post('/api/v1/tokens', { name: 'dup' })).status).toBe(201);
    expect((await admin.post('/api/v1/tokens', { name: 'dup' })).status).toBe(409);
  });

  it('answers 404 for another company’s token', async () => {
    const a = new ApiClient(t.url);
    await a.signup();
    const b = new ApiClient(t.url);
    await b.signup();
    const theirs = (await b.post('/api/v1/tokens', { name: 'theirs' })).body.id;
    expect((await a.delete(`/api/v1/tokens/${theirs}`)).status).toBe(404);
    expect((await a.get(`/api/v1/tokens/${theirs}`)).status).toBe(404);
  });

  it('forbids a non-admin token from granting Admin', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const runner = (await admin.post('/api/v1/tokens', { name: 'runner', roles: ['Runner'] })).body.token;
    const res = await ApiClient.withToken(t.url, runner).post('/api/v1/tokens', { name: 'escalate', roles: ['Admin'] });
    expect(res.status).toBe(403);
  });

  it('rate-limits API calls per token', async () => {
    const limited = await startTestApi({ NEMBL_RATE_LIMIT_API_PER_MIN: '3' });
    try {
      const admin = new ApiClient(limited.url);
      await admin.signup();
      const token = (await admin.post('/api/v1/tokens', { name: 'busy' })).body.token;
      const bot = ApiClient.withToken(limited.url, token);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await bot.get('/api/v1/me')).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await limited.close();
    }
  });
});
