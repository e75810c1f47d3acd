import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

// Principals are cached per API process; these tests change identities the way another process
// would (straight in Postgres) and the way this one does (through the API), and expect the next
// request to see the change.
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
  // Each try signs up (an argon2 hash): on a loaded machine one try alone can outlast waitFor's 1 s default.
  await vi.waitFor(
    async () => {
      if (!(await listening())) throw new Error('identity listener not in place yet');
    },
    { timeout: 20_000, interval: 100 },
  );
}, 60_000);
afterAll(async () => t?.close());

/** The cache is on once the identity listener is in place: a cached lookup then stays cached. */
const listening = async () => {
  const admin = new ApiClient(t.url);
  await admin.signup();
  await admin.get('/api/v1/me');
  return t.composed.principalCache.size() > 0;
};

describe('cached principals', () => {
  it('serves repeated requests of one token from the cache', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const { token } = (await admin.post('/api/v1/tokens', { name: 'bot', roles: ['Runner'] })).body;
    const bot = ApiClient.withToken(t.url, token);
    expect((await bot.get('/api/v1/me')).status).toBe(200);
    const before = t.composed.principalCache.size();
    expect((await bot.get('/api/v1/me')).status).toBe(200);
    expect(t.composed.principalCache.size()).toBe(before);
  });

  it('refuses a token revoked by another process within moments (identity NOTIFY)', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const { id, token } = (await admin.post('/api/v1/tokens', { name: 'bot', roles: ['Runner'] })).body;
    const bot = ApiClient.withToken(t.url, token);
    expect((await bot.get('/api/v1/me')).status).toBe(200);
    await t.dataSource.query('UPDATE service_tokens SET revoked_at = now() WHERE id = $1', [id]);
    await expect.poll(async () => (await bot.get('/api/v1/me')).status, { timeout: 2000, interval: 20 }).toBe(401);
  });

  it('sees roles changed by another process, and a session ended there', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    expect((await admin.get('/api/v1/me')).body.roles).toEqual(['Admin']);
    await t.dataSource.query(`UPDATE users SET roles = '{Admin,Viewer}' WHERE id = $1`, [s.user.id]);
    await expect
      .poll(async () => (await admin.get('/api/v1/me')).body.roles, { timeout: 2000, interval: 20 })
      .toEqual(['Admin', 'Viewer']);
    await t.dataSource.query('DELETE FROM sessions WHERE user_id = $1', [s.user.id]);
    await expect.poll(async () => (await admin.get('/api/v1/me')).status, { timeout: 2000, interval: 20 }).toBe(401);
  });

  it('applies changes made through this process before they are answered', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const { id, token } = (await admin.post('/api/v1/tokens', { name: 'bot', roles: ['Runner'] })).body;
    const bot = ApiClient.withToken(t.url, token);
    for (let i = 0; i < 5; i++) {
      expect((await bot.get('/api/v1/me')).status).toBe(200);
    }
    expect((await admin.delete(`/api/v1/tokens/${id}`)).status).toBe(204);
    expect((await bot.get('/api/v1/me')).status).toBe(401);

    const u = {
      email: `dev-${Date.now()}@example.com`,
      name: 'Dev',
      password: 'correct horse battery',
      roles: ['Developer'],
      groups: [],
    };
    const userId = (await admin.post('/api/v1/users', u)).body.user.id;
    const dev = new ApiClient(t.url);
    await dev.login(u.email, u.password);
    expect((await dev.get('/api/v1/me')).body.roles).toEqual(['Developer']);
    expect((await admin.patch(`/api/v1/users/${userId}`, { groups: ['ops'] })).status).toBe(200);
    expect((await dev.get('/api/v1/me')).body.groups).toEqual(['ops']);
    expect((await dev.post('/api/v1/auth/logout', {})).status).toBe(204);
    expect((await dev.get('/api/v1/me')).status).toBe(401);
  });
});
