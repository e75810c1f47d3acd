import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type ApiResponse, type TestApi } from './harness.js';

// A token minted while its parent is being revoked (or while its creating user is being removed)
// must not escape the lineage: whatever order the two commits land in, the new token ends up dead.
// The mint is held at its INSERT by an uncommitted row with the same name (the live-name unique
// index makes the INSERT wait for that transaction), so the revocation commits in between.
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => t?.close());

const password = 'a long enough password';

/** Backends of this test database waiting on a lock. */
const lockWaiters = async (): Promise<number> => {
  const rows: Array<{ n: number }> = await t.dataSource.query(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
  );
  return rows[0]?.n ?? 0;
};

/**
 * Runs `mint` held at its INSERT, then `revoke`, then lets the mint go on; answers both results.
 * `revoke` may wait for the mint (a fixed server serializes them) or finish first (the old race).
 */
const mintDuringRevoke = async (
  companyId: string,
  name: string,
  mint: () => Promise<ApiResponse>,
  revoke: () => Promise<ApiResponse>,
): Promise<{ minted: ApiResponse; revoked: ApiResponse }> => {
  const blocker = t.dataSource.createQueryRunner();
  await blocker.connect();
  await blocker.startTransaction();
  try {
    await blocker.query(`INSERT INTO service_tokens (company_id, name, token_hash) VALUES ($1, $2, $3)`, [
      companyId,
      name,
      randomBytes(32),
    ]);
    const minted = mint();
    await vi.waitFor(async () => expect(await lockWaiters()).toBeGreaterThanOrEqual(1), { timeout: 5000, interval: 20 });
    let revokeDone = false;
    const revoked = revoke().finally(() => (revokeDone = true));
    // Either the revocation finished, or it waits behind the mint (a second lock waiter).
    await vi.waitFor(async () => expect(revokeDone || (await lockWaiters()) >= 2).toBe(true), { timeout: 5000, interval: 20 });
    await blocker.rollbackTransaction();
    return { minted: await minted, revoked: await revoked };
  } finally {
    if (blocker.isTransactionActive) await blocker.rollbackTransaction();
    await blocker.release();
  }
};

describe('token lineage under concurrency', () => {
  it('a token minted while its parent is being revoked does not outlive the parent', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const parent = (await admin.post('/api/v1/tokens', { name: 'parent', roles: ['Admin'] })).body;
    const bot = ApiClient.withToken(t.url, parent.token);
    expect((await bot.get('/api/v1/me')).status).toBe(200);

    const { minted, revoked } = await mintDuringRevoke(
      s.company.id,
      'escapee',
      () => bot.post('/api/v1/tokens', { name: 'escapee', roles: ['Admin'] }),
      () => admin.delete(`/api/v1/tokens/${parent.id}`),
    );
    expect(revoked.status).toBe(204);
    expect((await bot.get('/api/v1/me')).status).toBe(401);
    // The mint either lost (the parent was revoked first: 401) or was revoked with its parent.
    if (minted.status === 201) {
      expect((await ApiClient.withToken(t.url, minted.body.token).get('/api/v1/me')).status).toBe(401);
    } else {
      expect(minted.status).toBe(401);
    }
    expect((await admin.get('/api/v1/tokens')).body.items).toEqual([]);
  });

  it('a token minted by a user while the user is being removed is revoked with them', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const u = { email: `u-${randomBytes(4).toString('hex')}@example.com`, name: 'leaver', password, roles: ['Admin'], groups: [] };
    const leaverId = (await admin.post('/api/v1/users', u)).body.user.id;
    const leaver = new ApiClient(t.url);
    expect((await leaver.login(u.email, password)).status).toBe(200);

    const { minted, revoked } = await mintDuringRevoke(
      s.company.id,
      'parting-gift',
      () => leaver.post('/api/v1/tokens', { name: 'parting-gift', roles: ['Admin'] }),
      () => admin.delete(`/api/v1/users/${leaverId}`),
    );
    expect(revoked.status).toBe(204);
    // Never a 5xx; either refused (the user was gone first) or minted and then revoked.
    if (minted.status === 201) {
      expect((await ApiClient.withToken(t.url, minted.body.token).get('/api/v1/me')).status).toBe(401);
    } else {
      expect(minted.status).toBe(401);
    }
    expect((await admin.get('/api/v1/tokens')).body.items).toEqual([]);
  });
});

describe('a demoted user’s tokens', () => {
  it('are revoked, with their children, when they carry a role or group the user lost', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const u = { email: `u-${randomBytes(4).toString('hex')}@example.com`, name: 'ex-admin', password, roles: ['Admin'], groups: [] };
    const userId = (await admin.post('/api/v1/users', u)).body.user.id;
    const exAdmin = new ApiClient(t.url);
    expect((await exAdmin.login(u.email, password)).status).toBe(200);
    const adminToken = (await exAdmin.post('/api/v1/tokens', { name: 'ci-admin', roles: ['Admin'] })).body;
    const child = (await ApiClient.withToken(t.url, adminToken.token).post('/api/v1/tokens', { name: 'ci-child', roles: ['Runner'] })).body;
    const deployer = (await exAdmin.post('/api/v1/tokens', { name: 'ci-deployer', roles: ['Deployer'] })).body;
    const runner = (await exAdmin.post('/api/v1/tokens', { name: 'ci-runner', roles: ['Runner'], groups: ['ops'] })).body;

    const demoted = await admin.patch(`/api/v1/users/${userId}`, { roles: ['Runner'], groups: ['ops'] });
    expect(demoted.status).toBe(200);
    // The demoted user can no longer act as an Admin through a token minted while Admin.
    for (const tok of [adminToken, child, deployer]) expect((await ApiClient.withToken(t.url, tok.token).get('/api/v1/me')).status).toBe(401);
    // A token within what the user still holds keeps working.
    expect((await ApiClient.withToken(t.url, runner.token).get('/api/v1/me')).status).toBe(200);
    expect((await admin.get('/api/v1/tokens')).body.items.map((i: { name: string }) => i.name)).toEqual(['ci-runner']);
    await vi.waitFor(
      async () => {
        const rows: Array<{ resource_name: string; reason: string }> = await t.dataSource.query(
          `SELECT resource_name, reason FROM audit_events WHERE company_id = $1 AND action = 'tokens:revoke'`,
          [s.company.id],
        );
        expect(rows.map((r) => r.resource_name).sort()).toEqual(['ci-admin', 'ci-child', 'ci-deployer']);
        expect(rows.every((r) => r.reason === `creator_demoted:${u.email}`)).toBe(true);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it('keeps a user’s tokens on a rename or a role added', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const u = { email: `u-${randomBytes(4).toString('hex')}@example.com`, name: 'dev', password, roles: ['Admin'], groups: [] };
    const userId = (await admin.post('/api/v1/users', u)).body.user.id;
    const dev = new ApiClient(t.url);
    await dev.login(u.email, password);
    const tok = (await dev.post('/api/v1/tokens', { name: 'ci', roles: ['Admin'] })).body;
    expect((await admin.patch(`/api/v1/users/${userId}`, { name: 'renamed', roles: ['Admin', 'Viewer'] })).status).toBe(200);
    expect((await ApiClient.withToken(t.url, tok.token).get('/api/v1/me')).status).toBe(200);
  });
});
