import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => t?.close());

const password = 'a long enough password';

/** A company with an admin and a way to sign in users with given roles. */
const company = async () => {
  const admin = new ApiClient(t.url);
  await admin.signup();
  const as = async (roles: string[]) => {
    const email = `${roles.join('-') || 'nobody'}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    expect((await admin.post('/api/v1/users', { email, name: email, password, roles, groups: [] })).status).toBe(201);
    const c = new ApiClient(t.url);
    expect((await c.login(email, password)).status).toBe(200);
    return c;
  };
  return { admin, as };
};

interface Check {
  action: string;
  secret?: string;
  tags?: Record<string, string>;
}
type Result = { action: string; secret?: string; allowed: boolean; reason: string };

const permissions = async (c: ApiClient, checks: Check[]): Promise<Result[]> => {
  const res = await c.post('/api/v1/me/permissions', { checks });
  expect(res.status, res.text).toBe(200);
  return res.body.results;
};

/** Developers may update and create, except production; nobody but admins reads `sensitivity: high` secrets. */
const policies = [
  {
    name: 'developers-write',
    statements: [
      {
        sid: 'dev-write',
        effect: 'allow',
        actions: ['secrets:update', 'secrets:create'],
        principals: { roles: ['Developer'] },
      },
    ],
  },
  {
    name: 'restrict-production',
    statements: [
      {
        sid: 'deny-prod',
        effect: 'deny',
        actions: ['secrets:update', 'secrets:create'],
        principals: '*',
        notPrincipals: { roles: ['Admin'] },
        conditions: { StringEquals: { 'resource.tag/environment': 'production' } },
      },
    ],
  },
  {
    name: 'hide-high',
    statements: [
      {
        sid: 'hide-high',
        effect: 'deny',
        actions: ['secrets:*'],
        principals: '*',
        notPrincipals: { roles: ['Admin'] },
        conditions: { StringEquals: { 'resource.tag/sensitivity': 'high' } },
      },
    ],
  },
];

describe('POST /me/permissions', () => {
  it('answers a Developer in order, as the starter policies say', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    await admin.post('/api/v1/secrets', { name: 'deploy-token', value: 'x' });
    const results = await permissions(dev, [
      { action: 'secrets:create' },
      { action: 'secrets:read', secret: 'deploy-token' },
      { action: 'secrets:use', secret: 'deploy-token' },
      { action: 'secrets:read_value', secret: 'deploy-token' },
      { action: 'secrets:delete', secret: 'deploy-token' },
      { action: 'workflows:create' },
      { action: 'audit:read' },
    ]);
    expect(results).toEqual([
      { action: 'secrets:create', allowed: false, reason: 'implicit_deny' },
      { action: 'secrets:read', secret: 'deploy-token', allowed: true, reason: 'explicit_allow' },
      { action: 'secrets:use', secret: 'deploy-token', allowed: true, reason: 'explicit_allow' },
      { action: 'secrets:read_value', secret: 'deploy-token', allowed: false, reason: 'explicit_deny' },
      { action: 'secrets:delete', secret: 'deploy-token', allowed: false, reason: 'implicit_deny' },
      { action: 'workflows:create', allowed: true, reason: 'explicit_allow' },
      { action: 'audit:read', allowed: false, reason: 'implicit_deny' },
    ]);
    // An admin may do it all; a service token asks with its own roles.
    expect(
      (
        await permissions(admin, [{ action: 'secrets:create' }, { action: 'secrets:delete', secret: 'deploy-token' }])
      ).map((r) => r.allowed),
    ).toEqual([true, true]);
    const token = (await admin.post('/api/v1/tokens', { name: 'runner', roles: ['Runner'] })).body.token as string;
    const runner = ApiClient.withToken(t.url, token);
    expect(
      await permissions(runner, [
        { action: 'secrets:read_value', secret: 'deploy-token' },
        { action: 'secrets:update', secret: 'deploy-token' },
      ]),
    ).toEqual([
      { action: 'secrets:read_value', secret: 'deploy-token', allowed: true, reason: 'explicit_allow' },
      { action: 'secrets:update', secret: 'deploy-token', allowed: false, reason: 'implicit_deny' },
    ]);
  });

  it('follows tag-conditioned denies, for existing secrets, creates and retags, exactly as enforcement does', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    for (const p of policies) expect((await admin.post('/api/v1/policies', p)).status).toBe(201);
    await admin.post('/api/v1/secrets', { name: 'prod-db', value: 'p', tags: { environment: 'production' } });
    await admin.post('/api/v1/secrets', { name: 'staging-db', value: 's', tags: { environment: 'staging' } });

    const checks: Check[] = [
      { action: 'secrets:update', secret: 'prod-db' },
      { action: 'secrets:update', secret: 'staging-db' },
      { action: 'secrets:update', secret: 'staging-db', tags: { environment: 'production' } },
      { action: 'secrets:create', tags: { environment: 'production' } },
      { action: 'secrets:create', secret: 'new-staging', tags: { environment: 'staging' } },
      { action: 'secrets:update', tags: { environment: 'production' } },
    ];
    const results = await permissions(dev, checks);
    expect(results.map((r) => [r.allowed, r.reason])).toEqual([
      [false, 'explicit_deny'],
      [true, 'explicit_allow'],
      [false, 'explicit_deny'],
      [false, 'explicit_deny'],
      [true, 'explicit_allow'],
      [false, 'explicit_deny'],
    ]);

    // The same questions, asked by doing it.
    expect((await dev.put('/api/v1/secrets/prod-db/value', { value: 'p2' })).status).toBe(403);
    expect((await dev.put('/api/v1/secrets/staging-db/value', { value: 's2' })).status).toBe(200);
    expect((await dev.patch('/api/v1/secrets/staging-db', { tags: { environment: 'production' } })).status).toBe(403);
    expect(
      (await dev.post('/api/v1/secrets', { name: 'new-prod', value: 'v', tags: { environment: 'production' } })).status,
    ).toBe(403);
    expect([201, 202]).toContain(
      (await dev.post('/api/v1/secrets', { name: 'new-staging', value: 'v', tags: { environment: 'staging' } })).status,
    );
  });

  it('never reveals whether a secret the caller may not read exists', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    for (const p of policies) expect((await admin.post('/api/v1/policies', p)).status).toBe(201);
    await admin.post('/api/v1/secrets', { name: 'root-key', value: 'r', tags: { sensitivity: 'high' } });
    // For the caller the hidden secret is missing: 404 on read, and the same answers as a name that does not exist.
    expect((await dev.get('/api/v1/secrets/root-key')).status).toBe(404);
    const ask = (secret: string) =>
      permissions(
        dev,
        ['secrets:read', 'secrets:update', 'secrets:use', 'secrets:read_value', 'secrets:delete'].map((action) => ({
          action,
          secret,
        })),
      );
    const hidden = await ask('root-key');
    const missing = await ask('no-such-secret');
    expect(hidden.every((r) => !r.allowed && r.reason === 'implicit_deny')).toBe(true);
    expect(hidden.map(({ secret: _s, ...rest }) => rest)).toEqual(missing.map(({ secret: _s, ...rest }) => rest));
    expect(hidden.every((r) => r.secret === 'root-key')).toBe(true);
    // An admin, who may read it, gets a real answer.
    expect((await permissions(admin, [{ action: 'secrets:read', secret: 'root-key' }]))[0]).toMatchObject({
      allowed: true,
    });
  });

  it('takes 1 to 200 checks and answers bad ones with 400 naming the field', async () => {
    const { admin } = await company();
    const many = Array.from({ length: 200 }, (_, i) => ({ action: i % 2 ? 'secrets:create' : 'users:read' }));
    expect(await permissions(admin, many)).toHaveLength(200);
    const cases: Array<[unknown, string]> = [
      [{ checks: [] }, 'checks'],
      [{ checks: [...many, { action: 'users:read' }] }, 'checks'],
      [{}, 'checks'],
      [{ checks: [{ action: 'secrets:fly' }] }, 'checks[0].action'],
      [{ checks: [{ action: 'secrets:read' }, { action: 'secrets:read', secret: 'Not A Name' }] }, 'checks[1].secret'],
      [{ checks: [{ action: 'secrets:create', tags: { 'aws:x': 'y' } }] }, 'checks[0].tags.aws:x'],
      [{ checks: [{ action: 'users:read', secret: 'x' }] }, 'checks[0].secret'],
      [{ checks: [{ action: 'users:read', extra: 1 }] }, 'checks[0].extra'],
    ];
    for (const [body, path] of cases) {
      const res = await admin.post('/api/v1/me/permissions', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
  });

  it('needs credentials, and CSRF with a cookie', async () => {
    expect(
      (await new ApiClient(t.url).post('/api/v1/me/permissions', { checks: [{ action: 'audit:read' }] })).status,
    ).toBe(401);
    const { admin } = await company();
    const noCsrf = await admin.post(
      '/api/v1/me/permissions',
      { checks: [{ action: 'audit:read' }] },
      { 'x-csrf-token': 'wrong' },
    );
    expect(noCsrf.status).toBe(403);
  });
});
