import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const setup = async () => {
  const admin = new ApiClient(t.url);
  await admin.signup();
  const token = async (roles: string[]) =>
    (await admin.post('/api/v1/tokens', { name: `t-${Math.random()}`, roles })).body.token as string;
  return { admin, runner: ApiClient.withToken(t.url, await token(['Runner'])), token };
};

describe('POST /env/resolve (ad-hoc references for nembl run)', () => {
  it('resolves references at their current versions next to literals, and audits each value read', async () => {
    const { admin, runner } = await setup();
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'adhoc-canary-v1' });
    const body = {
      env: { DEPLOY_TOKEN: 'secret:deploy-api-token', REGION: 'eu-west-1', AGAIN: 'secret:deploy-api-token' },
    };
    const first = await runner.post('/api/v1/env/resolve', body);
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body).toEqual({
      env: { DEPLOY_TOKEN: 'adhoc-canary-v1', REGION: 'eu-west-1', AGAIN: 'adhoc-canary-v1' },
      versions: {
        DEPLOY_TOKEN: { secret: 'deploy-api-token', version: 1 },
        AGAIN: { secret: 'deploy-api-token', version: 1 },
      },
    });

    expect((await admin.put('/api/v1/secrets/deploy-api-token/value', { value: 'adhoc-canary-v2' })).status).toBe(200);
    const second = await runner.post('/api/v1/env/resolve', body);
    expect(second.body.env.DEPLOY_TOKEN).toBe('adhoc-canary-v2');
    expect(second.body.versions.DEPLOY_TOKEN.version).toBe(2);

    // Value reads commit to the audit outbox before answering; the worker then chains them into
    // the log, so the log shows them a moment later.
    const audit = await vi.waitFor(
      async () => {
        const res = await admin.get('/api/v1/audit?action=secrets:read_value&secret=deploy-api-token');
        if (res.body.items.length === 0) throw new Error('value reads not in the audit log yet');
        return res;
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(audit.body.items[0]).toMatchObject({
      decision: 'allow',
      reason: expect.stringContaining('env:resolve version='),
    });
    expect(t.logs.join('')).not.toContain('adhoc-canary');
  });

  it('answers literals alone without touching any secret', async () => {
    const { runner } = await setup();
    const res = await runner.post('/api/v1/env/resolve', { env: { REGION: 'eu-west-1' } });
    expect(res.body).toEqual({ env: { REGION: 'eu-west-1' }, versions: {} });
  });

  it('refuses cookie sessions (Admin included) and names the secret a token may not read the value of', async () => {
    const { admin, token } = await setup();
    await admin.post('/api/v1/secrets', { name: 'db-password', value: 'x-canary' });
    expect((await admin.post('/api/v1/env/resolve', { env: { P: 'secret:db-password' } })).status).toBe(403);
    const dev = ApiClient.withToken(t.url, await token(['Developer']));
    const denied = await dev.post('/api/v1/env/resolve', { env: { P: 'secret:db-password' } });
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ action: 'secrets:read_value', reason: 'explicit_deny', secret: 'db-password' });
    expect(denied.body.detail).toContain('db-password');
    expect(denied.text).not.toContain('x-canary');
  });

  it('answers 422 naming a missing, a deleted, or another company’s secret', async () => {
    const { admin, runner } = await setup();
    const missing = await runner.post('/api/v1/env/resolve', { env: { T: 'secret:missing-one' } });
    expect(missing.status).toBe(422);
    expect(missing.body.detail).toContain('missing-one');
    expect(missing.body.errors).toEqual([{ path: 'env.T', message: 'no secret named missing-one' }]);

    await admin.post('/api/v1/secrets', { name: 'old-token', value: 'x' });
    expect((await admin.delete('/api/v1/secrets/old-token?confirm=old-token')).status).toBe(200);
    const deleted = await runner.post('/api/v1/env/resolve', { env: { OLD: 'secret:old-token' } });
    expect(deleted.status).toBe(422);
    expect(deleted.body.detail).toMatch(/Secret old-token was deleted on /);

    const other = await setup();
    await other.admin.post('/api/v1/secrets', { name: 'theirs', value: 'x' });
    const theirs = await runner.post('/api/v1/env/resolve', { env: { T: 'secret:theirs' } });
    expect(theirs.status).toBe(422);
    expect(theirs.body.detail).toContain('theirs');
  });

  it.each([
    ['no variables', { env: {} }, 'env'],
    ['101 variables', { env: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`V${i}`, 'x'])) }, 'env'],
    ['a lower-case name', { env: { deploy_token: 'x' } }, 'env.deploy_token'],
    ['a malformed reference', { env: { T: 'secret:Bad_Name' } }, 'env.T'],
    ['no env at all', {}, 'env'],
    ['an unknown field', { env: { A: 'b' }, extra: 1 }, 'extra'],
  ])('refuses %s with 400 naming the field', async (_n, body, path) => {
    const { runner } = await setup();
    const res = await runner.post('/api/v1/env/resolve', body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});
