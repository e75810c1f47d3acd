import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => t?.close());

const password = 'a long enough password';

/** A company with one signed-in user per role. */
const company = async () => {
  const admin = new ApiClient(t.url);
  const s = await admin.signup();
  const as = async (roles: string[], groups: string[] = []) => {
    const email = `${roles.join('-') || 'nobody'}-${Math.random().toString(36).slice(2, 8)}@example.com`;
    const created = await admin.post('/api/v1/users', { email, name: email, password, roles, groups });
    expect(created.status).toBe(201);
    const c = new ApiClient(t.url);
    expect((await c.login(email, password)).status).toBe(200);
    return Object.assign(c, { id: created.body.user.id as string });
  };
  return { admin, s, as };
};

const allowDevUpdates = {
  name: 'developers-update',
  statements: [{ sid: 'dev-update', effect: 'allow', actions: ['secrets:update'], principals: { roles: ['Developer'] } }],
};

const restrictProduction = {
  name: 'Restrict production secrets',
  description: 'Only admins change production credentials',
  statements: [
    {
      sid: 'deny-prod-update',
      effect: 'deny',
      actions: ['secrets:update', 'secrets:delete'],
      principals: '*',
      notPrincipals: { roles: ['Admin'], groups: ['admins'] },
      resources: ['secret:*'],
      conditions: { StringEquals: { 'resource.tag/environment': 'production' } },
    },
  ],
};

describe('policies API', () => {
  it('starts every company with the starter policies', async () => {
    const { admin } = await company();
    const res = await admin.get('/api/v1/policies');
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { name: string }) => p.name)).toEqual(['starter:developers', 'starter:runners', 'starter:viewers']);
  });

  it('creates, reads, replaces and deletes a policy; another company sees 404', async () => {
    const { admin } = await company();
    const created = await admin.post('/api/v1/policies', allowDevUpdates);
    expect(created.status).toBe(201);
    expect(created.body.policy).toMatchObject({ name: 'developers-update', statements: allowDevUpdates.statements });
    const id = created.body.policy.id;
    expect((await admin.get(`/api/v1/policies/${id}`)).body.policy.name).toBe('developers-update');
    const replaced = await admin.put(`/api/v1/policies/${id}`, { ...allowDevUpdates, description: 'now described' });
    expect(replaced.status).toBe(200);
    expect(replaced.body.policy.description).toBe('now described');
    expect((await admin.post('/api/v1/policies', allowDevUpdates)).status).toBe(409);
    const other = await company();
    expect((await other.admin.get(`/api/v1/policies/${id}`)).status).toBe(404);
    expect((await other.admin.delete(`/api/v1/policies/${id}`)).status).toBe(404);
    expect((await admin.delete(`/api/v1/policies/${id}`)).status).toBe(204);
    expect((await admin.get(`/api/v1/policies/${id}`)).status).toBe(404);
  });

  const stmt = (over: Record<string, unknown>) => ({ effect: 'allow', actions: ['secrets:read'], principals: '*', ...over });
  it.each([
    ['an unknown action', { name: 'p', statements: [stmt({ actions: ['secrets:steal'] })] }, 'statements[0].actions[0]'],
    ['an unknown operator', { name: 'p', statements: [stmt({ conditions: { StringSortOf: { 'resource.name': 'x' } } })] }, 'statements[0].conditions'],
    ['an unknown key prefix', { name: 'p', statements: [stmt({ conditions: { StringEquals: { 'server.name': 'x' } } })] }, 'statements[0].conditions.StringEquals'],
    ['empty actions', { name: 'p', statements: [stmt({ actions: [] })] }, 'statements[0].actions'],
    ['101 statements', { name: 'p', statements: Array.from({ length: 101 }, () => stmt({})) }, 'statements'],
    ['a bad resource glob', { name: 'p', statements: [stmt({ resources: ['bucket:*'] })] }, 'statements[0].resources[0]'],
    ['a wrong effect type', { name: 'p', statements: [stmt({ effect: true })] }, 'statements[0].effect'],
    ['an unknown field', { name: 'p', statements: [stmt({ priority: 1 })] }, 'statements[0].priority'],
  ])('rejects %s with 400 naming the place', async (_n, doc, path) => {
    const { admin } = await company();
    const res = await admin.post('/api/v1/policies', doc);
    expect(res.status).toBe(400);
    const paths = res.body.errors.map((e: { path: string }) => e.path);
    expect(paths.some((p: string) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`))).toBe(true);
  });

  it('simulates exactly what enforcement decides, with the matched statements', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    await admin.post('/api/v1/secrets', { name: 'prod-db', value: 'x', tags: { environment: 'production' } });
    const readValue = await admin.post('/api/v1/policies/simulate', {
      principal: { roles: ['Developer'], groups: [] },
      action: 'secrets:read_value',
      resource: { secret: 'prod-db' },
    });
    expect(readValue.status).toBe(200);
    expect(readValue.body).toMatchObject({ decision: 'deny', reason: 'explicit_deny', matched: [{ policyName: 'starter:developers', sid: 'developers-deny-read-value' }] });
    const read = await admin.post('/api/v1/policies/simulate', { principal: { userId: dev.id }, action: 'secrets:read', resource: { secret: 'prod-db' } });
    expect(read.body).toMatchObject({ decision: 'allow', reason: 'explicit_allow' });
    const create = await admin.post('/api/v1/policies/simulate', { principal: { userId: dev.id }, action: 'secrets:create', resource: { tags: {} } });
    expect(create.body).toEqual({ decision: 'deny', reason: 'implicit_deny', matched: [] });
    const asAdmin = await admin.post('/api/v1/policies/simulate', { principal: { roles: ['Admin'] }, action: 'secrets:delete', resource: { secret: 'prod-db' } });
    expect(asAdmin.body).toMatchObject({ decision: 'allow', matched: [{ policyId: 'builtin:admin', sid: 'admin' }] });
    expect((await admin.post('/api/v1/policies/simulate', { principal: { userId: '00000000-0000-4000-8000-000000000000' }, action: 'secrets:read', resource: { tags: {} } })).status).toBe(422);
    expect((await admin.post('/api/v1/policies/simulate', { principal: { roles: [] }, action: 'secrets:read', resource: { secret: 'nope' } })).status).toBe(422);
    const bad = await admin.post('/api/v1/policies/simulate', { principal: { roles: [] }, action: 'secrets:fly', resource: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('action');
  });

  it('lets a policy that tries to lock admins out be saved, but it never takes effect', async () => {
    const { admin } = await company();
    const lockout = await admin.post('/api/v1/policies', {
      name: 'lock everyone out',
      statements: [{ effect: 'deny', actions: ['policies:*', 'users:*'], principals: '*' }],
    });
    expect(lockout.status).toBe(201);
    expect((await admin.get('/api/v1/policies')).status).toBe(200);
    expect((await admin.post('/api/v1/users', { email: `x${Date.now()}@example.com`, name: 'x', password, roles: [] })).status).toBe(201);
    expect((await admin.delete(`/api/v1/policies/${lockout.body.policy.id}`)).status).toBe(204);
  });

  it('lets explicit denies apply to admins outside policies and users', async () => {
    const { admin } = await company();
    await admin.post('/api/v1/secrets', { name: 'sealed', value: 'x' });
    await admin.post('/api/v1/policies', { name: 'no deletes', statements: [{ effect: 'deny', actions: ['secrets:delete'], principals: '*' }] });
    const res = await admin.delete('/api/v1/secrets/sealed?confirm=sealed');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ reason: 'explicit_deny', action: 'secrets:delete' });
    expect(res.body.detail).toContain('secrets:delete');
  });

  it('needs policies:write to change policies', async () => {
    const { as } = await company();
    const viewer = await as(['Viewer']);
    expect((await viewer.post('/api/v1/policies', allowDevUpdates)).status).toBe(403);
    expect((await viewer.get('/api/v1/policies')).status).toBe(403);
  });
});

describe('the seed patterns, end to end', () => {
  it('Only admins can create secrets', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    const denied = await dev.post('/api/v1/secrets', { name: 'dev-made', value: 'x' });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ action: 'secrets:create', reason: 'implicit_deny' });
    expect((await admin.post('/api/v1/secrets', { name: 'admin-made', value: 'x' })).status).toBe(201);
    expect((await dev.get('/api/v1/secrets/dev-made')).status).toBe(404);
  });

  it('Developers can use but not view secrets: they see metadata, the rest is denied or hidden', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    const viewer = await as(['Viewer']);
    const nobody = await as([]);
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'x', tags: { environment: 'staging' } });
    expect((await dev.get('/api/v1/secrets/deploy-api-token')).status).toBe(200);
    expect((await viewer.get('/api/v1/secrets/deploy-api-token')).status).toBe(200);
    expect((await dev.get('/api/v1/secrets')).body.items.map((s: { name: string }) => s.name)).toEqual(['deploy-api-token']);
    const rotate = await dev.put('/api/v1/secrets/deploy-api-token/value', { value: 'y' });
    expect(rotate.status).toBe(403);
    expect(rotate.body.reason).toBe('implicit_deny');
    // No read permission at all: the secret does not exist for them.
    expect((await nobody.get('/api/v1/secrets/deploy-api-token')).status).toBe(404);
    expect((await nobody.put('/api/v1/secrets/deploy-api-token/value', { value: 'y' })).status).toBe(404);
    expect((await nobody.get('/api/v1/secrets')).body.items).toEqual([]);
  });

  it('Restrict production secrets: developers update staging but not production, nor retag into production', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    await admin.post('/api/v1/policies', allowDevUpdates);
    await admin.post('/api/v1/policies', restrictProduction);
    await admin.post('/api/v1/secrets', { name: 'prod-db', value: 'p1', tags: { environment: 'production' } });
    await admin.post('/api/v1/secrets', { name: 'staging-db', value: 's1', tags: { environment: 'staging' } });

    expect((await dev.put('/api/v1/secrets/staging-db/value', { value: 's2' })).status).toBe(200);
    const prod = await dev.put('/api/v1/secrets/prod-db/value', { value: 'p2' });
    expect(prod.status).toBe(403);
    expect(prod.body).toMatchObject({ reason: 'explicit_deny', action: 'secrets:update' });
    const retag = await dev.patch('/api/v1/secrets/staging-db', { tags: { environment: 'production' } });
    expect(retag.status).toBe(403);
    expect((await admin.get('/api/v1/secrets/staging-db')).body.secret.tags).toEqual({ environment: 'staging' });
    expect((await dev.patch('/api/v1/secrets/prod-db', { tags: { environment: 'staging' } })).status).toBe(403);
    expect((await admin.put('/api/v1/secrets/prod-db/value', { value: 'p2' })).status).toBe(200);
  });

  it('applies a policy change to the very next request', async () => {
    const { admin, as } = await company();
    const dev = await as(['Developer']);
    await admin.post('/api/v1/secrets', { name: 'flip', value: 'x' });
    expect((await dev.put('/api/v1/secrets/flip/value', { value: 'y' })).status).toBe(403);
    const p = await admin.post('/api/v1/policies', allowDevUpdates);
    expect((await dev.put('/api/v1/secrets/flip/value', { value: 'y' })).status).toBe(200);
    await admin.delete(`/api/v1/policies/${p.body.policy.id}`);
    expect((await dev.put('/api/v1/secrets/flip/value', { value: 'z' })).status).toBe(403);
  });
});
