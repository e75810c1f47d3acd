import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startSecondApi, startSlowProxy, startTestApi, type TestApi } from './harness.js';

// Two API processes on one database. The second one hears identity notifications late (its
// LISTEN connection goes through a proxy that holds what Postgres sends for a while), as a busy
// process on a loaded machine does. A change answered by the first must already hold in the
// second when the answer arrives: a revoked token, a removed user's session, a logged-out
// session and a demoted user must not be served from the second one's cache even briefly.
const LISTENER_DELAY_MS = 300;

let t: TestApi;
let second: { url: string; close: () => Promise<void>; cacheSize: () => number };
beforeAll(async () => {
  t = await startTestApi();
  const db = new URL(t.dbUrl);
  const proxy = await startSlowProxy(Number(db.port || 5432), LISTENER_DELAY_MS);
  const slowUrl = new URL(t.dbUrl);
  slowUrl.hostname = '127.0.0.1';
  slowUrl.port = String(proxy.port);
  // Only the LISTEN connection (and the operation waiter) use the slow URL.
  const api2 = await startSecondApi(t, { databaseUrl: slowUrl.toString() });
  second = {
    url: api2.url,
    cacheSize: () => api2.composed.principalCache.size(),
    close: async () => {
      await api2.close();
      await proxy.close();
    },
  };
  // The second process caches once its listener is in place.
  const admin = new ApiClient(t.url);
  await admin.signup();
  const { token } = (await admin.post('/api/v1/tokens', { name: 'probe' })).body;
  await vi.waitFor(
    async () => {
      await ApiClient.withToken(second.url, token).get('/api/v1/me');
      expect(second.cacheSize()).toBeGreaterThan(0);
    },
    { timeout: 10_000, interval: 100 },
  );
}, 30_000);
afterAll(async () => {
  await second?.close();
  await t?.close();
});

const password = 'a long enough password';

/** A user signed in on both processes (one session, cookie reused), cached on the second. */
const signedInOnBoth = async (admin: ApiClient, roles: string[]) => {
  const u = { email: `u-${randomBytes(4).toString('hex')}@example.com`, name: 'someone', password, roles, groups: [] };
  const id = (await admin.post('/api/v1/users', u)).body.user.id as string;
  const here = new ApiClient(t.url);
  expect((await here.login(u.email, password)).status).toBe(200);
  const there = new ApiClient(second.url);
  const cookie = here.rawCookieHeader() ?? '';
  const onSecond = (path: string) => there.get(path, { cookie });
  expect((await onSecond('/api/v1/users')).status).toBe(roles.includes('Admin') ? 200 : 403);
  return { id, here, onSecond };
};

describe('cached principals across API processes', () => {
  it('a token revoked through one process is refused by the other as soon as the revoke is answered', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const { id, token } = (await admin.post('/api/v1/tokens', { name: 'bot', roles: ['Admin'] })).body;
    const bot = ApiClient.withToken(second.url, token);
    expect((await bot.get('/api/v1/me')).status).toBe(200);
    expect((await admin.delete(`/api/v1/tokens/${id}`)).status).toBe(204);
    expect((await bot.get('/api/v1/me')).status).toBe(401);
  });

  it('a removed user, a logged-out session and a demoted user lose access on the other process at once', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const removed = await signedInOnBoth(admin, ['Admin']);
    expect((await admin.delete(`/api/v1/users/${removed.id}`)).status).toBe(204);
    expect((await removed.onSecond('/api/v1/me')).status).toBe(401);

    const leaving = await signedInOnBoth(admin, ['Admin']);
    expect((await leaving.here.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await leaving.onSecond('/api/v1/me')).status).toBe(401);

    const demoted = await signedInOnBoth(admin, ['Admin']);
    expect((await admin.patch(`/api/v1/users/${demoted.id}`, { roles: ['Viewer'] })).status).toBe(200);
    expect((await demoted.onSecond('/api/v1/users')).status).toBe(401);
  });
});
