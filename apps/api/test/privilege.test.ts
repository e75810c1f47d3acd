import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type ApiResponse, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ NEMBL_RATE_LIMIT_LOGIN_PER_MIN: '3' });
});
afterAll(async () => t?.close());

const password = 'a long enough password';
const email = () => `u-${randomBytes(4).toString('hex')}@example.com`;

const expectForbidden = (res: ApiResponse, why: RegExp) => {
  expect(res.status).toBe(403);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.type).toBe('/problems/forbidden');
  expect(res.body.detail).toMatch(why);
};

/**
 * A company whose role `HelpDesk` may manage users and tokens by policy, with a HelpDesk user
 * signed in and an Admin to act on.
 */
const helpDeskCompany = async () => {
  const admin = new ApiClient(t.url);
  const s = await admin.signup();
  const policy = await admin.post('/api/v1/policies', {
    name: 'help desk',
    statements: [
      { sid: 'people', effect: 'allow', actions: ['users:read', 'users:write', 'tokens:read', 'tokens:write'], principals: { roles: ['HelpDesk'] } },
    ],
  });
  expect(policy.status).toBe(201);
  const user = async (roles: string[], groups: string[] = []) => {
    const u = { email: email(), name: 'someone', password, roles, groups };
    const res = await admin.post('/api/v1/users', u);
    expect(res.status).toBe(201);
    const client = new ApiClient(t.url);
    expect((await client.login(u.email, password)).status).toBe(200);
    return { id: res.body.user.id as string, email: u.email, client };
  };
  const helpDesk = await user(['HelpDesk'], ['support']);
  return { admin, adminId: s.user.id, adminEmail: s.email, helpDesk, user };
};

describe('acting on a more privileged principal', () => {
  it('refuses a HelpDesk password reset of an Admin, so the Admin cannot be taken over', async () => {
    const { helpDesk, adminId, adminEmail } = await helpDeskCompany();
    const res = await helpDesk.client.patch(`/api/v1/users/${adminId}`, { password: 'taken over by help desk' });
    expectForbidden(res, /role Admin/);
    expect(res.body.reason).toBe('target_more_privileged');
    expect((await new ApiClient(t.url).login(adminEmail, 'taken over by help desk')).status).toBe(401);
    // The attempt is audited as a denial.
    await vi.waitFor(
      async () => {
        const rows: Array<{ actor_label: string; resource_name: string }> = await t.dataSource.query(
          `SELECT actor_label, resource_name FROM audit_events
            WHERE action = 'users:update' AND decision = 'deny' AND reason = 'target_more_privileged' AND resource_name = $1`,
          [adminEmail],
        );
        expect(rows).toEqual([{ actor_label: helpDesk.email, resource_name: adminEmail }]);
      },
      { timeout: 10_000, interval: 100 },
    );
  });

  it.each([
    ['a password reset', { password: 'taken over by help desk' }],
    ['a rename', { name: 'renamed' }],
    ['a role change', { roles: ['HelpDesk'] }],
    ['a group change', { groups: ['support'] }],
  ])('refuses %s of a user holding a role or group the caller lacks, naming it', async (_name, patch) => {
    const { helpDesk, user } = await helpDeskCompany();
    const policyWriter = await user(['PolicyWriter', 'HelpDesk'], ['support']);
    const res = await helpDesk.client.patch(`/api/v1/users/${policyWriter.id}`, patch);
    expectForbidden(res, /role PolicyWriter/);
    const outsider = await user(['HelpDesk'], ['support', 'finance']);
    expectForbidden(await helpDesk.client.patch(`/api/v1/users/${outsider.id}`, patch), /group finance/);
    // Nothing changed: the target can still sign in with the old password and keeps its name.
    expect((await new ApiClient(t.url).login(policyWriter.email, password)).status).toBe(200);
    expect((await t.composed.userRepo.find((await helpDesk.client.get('/api/v1/me')).body.company.id, policyWriter.id))?.name).toBe('someone');
  });

  it('refuses removing a more privileged user, the Admin included', async () => {
    const { helpDesk, user, adminId } = await helpDeskCompany();
    const policyWriter = await user(['PolicyWriter']);
    expectForbidden(await helpDesk.client.delete(`/api/v1/users/${policyWriter.id}`), /role PolicyWriter/);
    expectForbidden(await helpDesk.client.delete(`/api/v1/users/${adminId}`), /role Admin/);
    expect((await policyWriter.client.get('/api/v1/me')).status).toBe(200);
  });

  it('lets the caller change and remove users whose roles and groups it all holds', async () => {
    const { helpDesk, user } = await helpDeskCompany();
    const peer = await user(['HelpDesk'], ['support']);
    const junior = await user([]);
    expect((await helpDesk.client.patch(`/api/v1/users/${peer.id}`, { password: 'reset by a peer!!' })).status).toBe(200);
    expect((await helpDesk.client.patch(`/api/v1/users/${junior.id}`, { name: 'junior', roles: ['HelpDesk'] })).status).toBe(200);
    expect((await helpDesk.client.patch(`/api/v1/users/${helpDesk.id}`, { name: 'me myself' })).status).toBe(200);
    expect((await helpDesk.client.delete(`/api/v1/users/${peer.id}`)).status).toBe(204);
  });

  it('refuses revoking a token holding a role or group the caller lacks; Admins may revoke any', async () => {
    const { admin, helpDesk } = await helpDeskCompany();
    const deploy = (await admin.post('/api/v1/tokens', { name: 'deploy', roles: ['Runner'] })).body;
    const support = (await admin.post('/api/v1/tokens', { name: 'support-bot', roles: ['HelpDesk'], groups: ['support'] })).body;
    const adminBot = (await admin.post('/api/v1/tokens', { name: 'admin-bot', roles: ['Admin'] })).body;
    expectForbidden(await helpDesk.client.delete(`/api/v1/tokens/${deploy.id}`), /role Runner/);
    expectForbidden(await helpDesk.client.delete(`/api/v1/tokens/${adminBot.id}`), /role Admin/);
    expect((await ApiClient.withToken(t.url, deploy.token).get('/api/v1/me')).status).toBe(200);
    expect((await helpDesk.client.delete(`/api/v1/tokens/${support.id}`)).status).toBe(204);
    expect((await admin.delete(`/api/v1/tokens/${deploy.id}`)).status).toBe(204);
  });

  it('applies the same rule to a service token acting on users', async () => {
    const { admin, adminId } = await helpDeskCompany();
    const bot = ApiClient.withToken(t.url, (await admin.post('/api/v1/tokens', { name: 'helpdesk-bot', roles: ['HelpDesk'] })).body.token);
    expectForbidden(await bot.patch(`/api/v1/users/${adminId}`, { password: 'taken over by a token' }), /role Admin/);
  });

  it('keeps the grant rule and the last-Admin protection', async () => {
    const { admin, adminId, helpDesk, user } = await helpDeskCompany();
    const junior = await user([]);
    expectForbidden(await helpDesk.client.patch(`/api/v1/users/${junior.id}`, { roles: ['Runner'] }), /grant only roles/);
    expectForbidden(await helpDesk.client.patch(`/api/v1/users/${junior.id}`, { roles: ['Admin'] }), /Only an Admin/);
    expect((await admin.patch(`/api/v1/users/${adminId}`, { roles: ['HelpDesk'] })).status).toBe(409);
    expect((await admin.delete(`/api/v1/users/${adminId}`)).status).toBe(409);
  });
});

describe('token lineage', () => {
  it('caps a token minted by an expiring token at its parent’s expiry', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const parentExpiry = new Date(t.clock.now().getTime() + 60 * 60 * 1000).toISOString();
    const parent = (await admin.post('/api/v1/tokens', { name: 'parent', roles: ['Runner'], expiresAt: parentExpiry })).body;
    const bot = ApiClient.withToken(t.url, parent.token);
    // A parent that can mint tokens (by policy: tokens:write for role Runner here).
    await admin.post('/api/v1/policies', {
      name: 'runners mint',
      statements: [{ effect: 'allow', actions: ['tokens:write'], principals: { roles: ['Runner'] } }],
    });

    const inherited = await bot.post('/api/v1/tokens', { name: 'child', roles: ['Runner'] });
    expect(inherited.status).toBe(201);
    expect(inherited.body.expiresAt).toBe(parentExpiry);
    expect(inherited.body.createdByToken).toBe(parent.id);

    const longer = await bot.post('/api/v1/tokens', { name: 'longer', expiresAt: new Date(Date.parse(parentExpiry) + 1000).toISOString() });
    expect(longer.status).toBe(400);
    expect(longer.body.errors[0].path).toBe('expiresAt');

    const shorter = new Date(Date.parse(parentExpiry) - 60_000).toISOString();
    expect((await bot.post('/api/v1/tokens', { name: 'shorter', expiresAt: shorter })).body.expiresAt).toBe(shorter);

    t.clock.advance(2 * 60 * 60 * 1000);
    try {
      expect((await ApiClient.withToken(t.url, inherited.body.token).get('/api/v1/me')).status).toBe(401);
    } finally {
      t.clock.advance(-2 * 60 * 60 * 1000);
    }
  });

  it('revokes the tokens a token minted (and theirs) when it is revoked', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const parent = (await admin.post('/api/v1/tokens', { name: 'parent', roles: ['Admin'] })).body;
    const child = (await ApiClient.withToken(t.url, parent.token).post('/api/v1/tokens', { name: 'child', roles: ['Admin'] })).body;
    const grandchild = (await ApiClient.withToken(t.url, child.token).post('/api/v1/tokens', { name: 'grandchild', roles: ['Runner'] })).body;
    const unrelated = (await admin.post('/api/v1/tokens', { name: 'unrelated' })).body;

    expect((await admin.delete(`/api/v1/tokens/${parent.id}`)).status).toBe(204);
    for (const tok of [parent, child, grandchild]) expect((await ApiClient.withToken(t.url, tok.token).get('/api/v1/me')).status).toBe(401);
    expect((await ApiClient.withToken(t.url, unrelated.token).get('/api/v1/me')).status).toBe(200);
    expect((await admin.get('/api/v1/tokens')).body.items.map((i: { name: string }) => i.name)).toEqual(['unrelated']);
  });

  it('revokes the tokens a user minted, and their children, when the user is removed', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const u = { email: email(), name: 'leaver', password, roles: ['Admin'], groups: [] };
    const leaverId = (await admin.post('/api/v1/users', u)).body.user.id;
    const leaver = new ApiClient(t.url);
    await leaver.login(u.email, password);
    const minted = (await leaver.post('/api/v1/tokens', { name: 'ci', roles: ['Admin'] })).body;
    const child = (await ApiClient.withToken(t.url, minted.token).post('/api/v1/tokens', { name: 'ci-child', roles: ['Runner'] })).body;
    const adminsOwn = (await admin.post('/api/v1/tokens', { name: 'admins-own' })).body;
    expect(minted.createdBy).toBe(leaverId);

    expect((await admin.delete(`/api/v1/users/${leaverId}`)).status).toBe(204);
    expect((await ApiClient.withToken(t.url, minted.token).get('/api/v1/me')).status).toBe(401);
    expect((await ApiClient.withToken(t.url, child.token).get('/api/v1/me')).status).toBe(401);
    expect((await ApiClient.withToken(t.url, adminsOwn.token).get('/api/v1/me')).status).toBe(200);
    // Each revocation is audited, saying why.
    await vi.waitFor(
      async () => {
        const rows: Array<{ action: string; resource_name: string; reason: string }> = await t.dataSource.query(
          `SELECT action, resource_name, reason FROM audit_events WHERE company_id = $1 AND action = 'tokens:revoke' ORDER BY seq`,
          [s.company.id],
        );
        expect(rows.map((r) => r.resource_name).sort()).toEqual(['ci', 'ci-child']);
        expect(rows.every((r) => r.reason.includes('creator_removed'))).toBe(true);
      },
      { timeout: 10_000, interval: 100 },
    );
  });
});

describe('password change rate limit', () => {
  it('limits wrong current passwords per user like logins, with 429 and Retry-After', async () => {
    const a = new ApiClient(t.url);
    const s = await a.signup();
    const b = new ApiClient(t.url);
    expect((await b.login(s.email, s.password)).status).toBe(200);
    const guess = (c: ApiClient, currentPassword: string) => c.put('/api/v1/me/password', { currentPassword, newPassword: 'the owner is locked out' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await guess(a, `wrong guess ${i}`)).status);
    expect(statuses).toEqual([400, 400, 400]);
    // Another session of the same user shares the budget, and even the right password waits.
    const limited = await guess(b, s.password);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await new ApiClient(t.url).login(s.email, s.password)).status).toBe(200);

    // Another user is unaffected.
    const other = new ApiClient(t.url);
    const o = await other.signup();
    expect((await other.put('/api/v1/me/password', { currentPassword: o.password, newPassword: 'a fresh new password' })).status).toBe(204);
  });
});
