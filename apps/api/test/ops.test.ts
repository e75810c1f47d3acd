import { createDataSource } from '@nembl/core';
import { createTestDatabase } from '@nembl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapFirstCompany } from '../src/bootstrap/bootstrap-service.js';
import { verifyPassword } from '../src/auth/credential-fns.js';
import { companyRepositoryFactory } from '../src/companies/company-repository.js';
import { userRepositoryFactory } from '../src/users/user-repository.js';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => t?.close());

describe('health, readiness and metrics', () => {
  it('reports alive and ready with Postgres and Redis up', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('exposes Prometheus request counters and latency histograms by route template', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    await c.get(`/api/v1/users/${s.user.id}`);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toContain('# TYPE nembl_http_requests_total counter');
    expect(text).toMatch(/nembl_http_requests_total\{method="GET",route="\/api\/v1\/users\/:id",status="200"\} 1/);
    expect(text).toContain('nembl_http_request_duration_seconds_bucket');
    expect(text).not.toContain(s.user.id);
  });
});

describe('log hygiene', () => {
  it('never logs passwords, cookies, CSRF tokens or bearer tokens', async () => {
    const canaryPassword = 'canary-password-5f1e2d3c';
    const c = new ApiClient(t.url);
    const s = await c.signup({ password: canaryPassword });
    await new ApiClient(t.url).login(s.email, 'wrong-canary-password-9a8b');
    const token = (await c.post('/api/v1/tokens', { name: 'logged' })).body.token as string;
    await ApiClient.withToken(t.url, token).get('/api/v1/me?token=query-canary-77');
    await c.put('/api/v1/me/password', { currentPassword: canaryPassword, newPassword: 'new-canary-password-0c0c' });
    const logs = t.logs.join('');
    expect(logs).toContain('"statusCode"'); // the requests were logged
    for (const needle of [canaryPassword, 'wrong-canary-password-9a8b', 'new-canary-password-0c0c', token, c.csrf!, 'query-canary-77']) {
      expect(logs).not.toContain(needle);
    }
    expect(logs).not.toContain(c.rawCookieHeader()!.split('=')[1]!);
  });
});

describe('bootstrap', () => {
  it('creates the first company and admin exactly once, even when started concurrently', async () => {
    const db = await createTestDatabase();
    const dataSource = createDataSource({ url: db.url, poolSize: 6 });
    await dataSource.initialize();
    try {
      const deps = {
        dataSource,
        companies: companyRepositoryFactory({ dataSource }),
        users: userRepositoryFactory({ dataSource }),
        onCompanyCreated: async () => {},
        company: 'First Co',
        email: 'Admin@First.example',
        password: undefined,
      };
      const results = await Promise.all([1, 2, 3].map(() => bootstrapFirstCompany(deps)));
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const created = results.find((r) => r.created)!;
      expect(created.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);
      const users: Array<{ email: string; roles: string[]; password_hash: string }> = await dataSource.query('SELECT * FROM users');
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ email: 'admin@first.example', roles: ['Admin'] });
      expect(await verifyPassword(users[0]!.password_hash, created.generatedPassword!)).toBe(true);
      expect((await bootstrapFirstCompany(deps)).created).toBe(false);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});
