import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi({ NEMBL_RATE_LIMIT_LOGIN_PER_MIN: '5' });
});
afterAll(async () => t?.close());

const expectProblem = (res: { status: number; headers: Headers; body: any }, status: number, path?: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^\/problems\//), title: expect.any(String) });
  expect(res.body.requestId).toBe(res.headers.get('x-request-id'));
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/); // never a stack trace
  if (path) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
};

describe('signup and sessions', () => {
  it('signs up a company whose first user is Admin, with an httpOnly SameSite=Strict cookie', async () => {
    const res = await fetch(`${t.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ companyName: 'Acme', email: 'Founder@Example.com', password: 'a long enough password', name: 'Fay' }),
    });
    expect(res.status).toBe(201);
    const body: any = await res.json();
    expect(body.user).toMatchObject({ email: 'founder@example.com', name: 'Fay', roles: ['Admin'], groups: [] });
    expect(body.company).toMatchObject({ name: 'Acme', id: expect.any(String) });
    expect(body.user.passwordHash).toBeUndefined();
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^nembl_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toMatch(/Secure/i); // NEMBL_PUBLIC_URL is http here
  });

  it('answers /me with the user, company, roles and groups', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup({ name: 'Ann' });
    const me = await c.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { id: s.user.id, name: 'Ann' }, company: { id: s.company.id }, roles: ['Admin'], groups: [] });
  });

  it('refuses a duplicate email with 409 naming email, case-insensitively', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    const again = await new ApiClient(t.url).post('/api/v1/auth/signup', {
      companyName: 'Other',
      email: s.email.toUpperCase(),
      password: 'another long password',
    });
    expectProblem(again, 409, 'email');
  });

  it('requires the CSRF token on cookie writes and accepts the right one', async () => {
    const c = new ApiClient(t.url);
    await c.signup();
    const token = c.csrf!;
    c.csrf = undefined;
    const missing = await c.post('/api/v1/tokens', { name: 'ci' });
    expectProblem(missing, 403);
    expect(missing.body.detail).toMatch(/X-CSRF-Token/);
    const wrong = await c.post('/api/v1/tokens', { name: 'ci' }, { 'x-csrf-token': 'x'.repeat(43) });
    expectProblem(wrong, 403);
    const other = new ApiClient(t.url);
    await other.signup();
    const foreign = await c.post('/api/v1/tokens', { name: 'ci' }, { 'x-csrf-token': other.csrf! });
    expectProblem(foreign, 403);
    c.csrf = token;
    expect((await c.post('/api/v1/tokens', { name: 'ci' })).status).toBe(201);
  });

  it('logs out (with CSRF) and the old cookie stops working', async () => {
    const c = new ApiClient(t.url);
    await c.signup();
    const stolen = c.rawCookieHeader()!;
    const noCsrf = await fetch(`${t.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie: stolen } });
    expect(noCsrf.status).toBe(403);
    expect((await c.post('/api/v1/auth/logout')).status).toBe(204);
    const after = await fetch(`${t.url}/api/v1/me`, { headers: { cookie: stolen } });
    expect(after.status).toBe(401);
  });

  it('answers 401 without credentials, before looking at the body', async () => {
    const res = await new ApiClient(t.url).post('/api/v1/users', '{not json');
    expectProblem(res, 401);
  });
});

describe('login', () => {
  it('logs in with the right password and gives the same 401 for unknown email and wrong password', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    const ok = await new ApiClient(t.url).login(s.email, s.password);
    expect(ok.status).toBe(200);
    expect(ok.body.user.email).toBe(s.email);
    const wrong = await new ApiClient(t.url).login(s.email, 'wrong password!!');
    const unknown = await new ApiClient(t.url).login(`nobody-${Date.now()}@example.com`, 'wrong password!!');
    expectProblem(wrong, 401);
    expectProblem(unknown, 401);
    const strip = (b: any) => ({ ...b, requestId: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
  });

  it('audits logins and failed logins', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    await new ApiClient(t.url).login(s.email, 'wrong password!!');
    await new ApiClient(t.url).login(s.email, s.password);
    // Events reach the log asynchronously (audit worker); read them as an auditor would.
    const items = await vi.waitFor(
      async () => {
        const res = await c.get('/api/v1/audit?limit=200');
        const actions = res.body.items.map((e: { action: string; decision: string }) => `${e.action}:${e.decision}`);
        expect(actions).toEqual(expect.arrayContaining(['auth:signup:allow', 'auth:login_failed:deny', 'auth:login:allow']));
        return res.body.items;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(JSON.stringify(items)).not.toContain(s.password);
  });

  it('rate-limits login attempts per IP and email with 429 and Retry-After', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await new ApiClient(t.url).login(s.email, 'wrong password!!')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const limited = await new ApiClient(t.url).login(s.email, s.password);
    expectProblem(limited, 429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another email from the same IP is unaffected.
    const other = new ApiClient(t.url);
    const o = await other.signup();
    expect((await new ApiClient(t.url).login(o.email, o.password)).status).toBe(200);
  });
});

describe('session lifetime', () => {
  it('expires a session after 12 hours and drops expired sessions at the next login', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    t.clock.advance(13 * 3_600_000);
    try {
      expect((await c.get('/api/v1/me')).status).toBe(401);
      expect((await new ApiClient(t.url).login(s.email, s.password)).status).toBe(200);
      const rows = await t.dataSource.query(`SELECT expires_at FROM sessions WHERE user_id = $1`, [s.user.id]);
      expect(rows).toHaveLength(1); // only the new one
    } finally {
      t.clock.advance(-13 * 3_600_000);
    }
  });
});

describe('password change', () => {
  it('changes the password, ends other sessions, keeps this one', async () => {
    const a = new ApiClient(t.url);
    const s = await a.signup();
    const b = new ApiClient(t.url);
    await b.login(s.email, s.password);
    const wrong = await a.put('/api/v1/me/password', { currentPassword: 'not it at all', newPassword: 'a brand new password' });
    expectProblem(wrong, 400, 'currentPassword');
    const short = await a.put('/api/v1/me/password', { currentPassword: s.password, newPassword: 'short' });
    expectProblem(short, 400, 'newPassword');
    const ok = await a.put('/api/v1/me/password', { currentPassword: s.password, newPassword: 'a brand new password' });
    expect(ok.status).toBe(204);
    expect((await a.get('/api/v1/me')).status).toBe(200);
    expect((await b.get('/api/v1/me')).status).toBe(401);
    expect((await new ApiClient(t.url).login(s.email, s.password)).status).toBe(401);
    expect((await new ApiClient(t.url).login(s.email, 'a brand new password')).status).toBe(200);
  });
});

describe('bad input on signup', () => {
  const signup = (body: unknown) => new ApiClient(t.url).post('/api/v1/auth/signup', body);
  const good = { companyName: 'Acme', email: 'x@example.com', password: 'long enough password' };

  it.each([
    ['a short password', { ...good, password: 'short' }, 'password'],
    ['a 257-character password', { ...good, password: 'p'.repeat(257) }, 'password'],
    ['a malformed email', { ...good, email: 'not-an-email' }, 'email'],
    ['a missing company name', { email: good.email, password: good.password }, 'companyName'],
    ['a missing email', { companyName: 'A', password: good.password }, 'email'],
    ['a number as email', { ...good, email: 42 }, 'email'],
    ['an unknown field', { ...good, isAdmin: true }, 'isAdmin'],
    ['an array body', [good], 'body'],
  ])('rejects %s with 400 naming the field', async (_name, body, path) => {
    expectProblem(await signup(body), 400, path);
  });

  it('rejects malformed JSON with 400', async () => {
    const res = await signup('{"companyName": "Acme",');
    expectProblem(res, 400, 'body');
  });

  it('rejects a body over 1 MiB with 413', async () => {
    const res = await signup({ ...good, companyName: 'x'.repeat(1024 * 1024 + 10) });
    expectProblem(res, 413);
  });

  it('stores nothing when the input is bad', async () => {
    await signup({ ...good, email: 'rejected@example.com', password: 'short' });
    const rows = await t.dataSource.query(`SELECT 1 FROM users WHERE email = 'rejected@example.com'`);
    expect(rows).toHaveLength(0);
  });
});

describe('request ids and headers', () => {
  it('echoes a valid X-Request-Id and replaces an invalid one', async () => {
    const ok = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(ok.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${t.url}/healthz`, { headers: { 'x-request-id': 'no spaces allowed' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends security headers', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    // Strict for the console too: same-origin scripts only, no inline scripts, no third-party origins, no framing.
    const csp = Object.fromEntries(
      (res.headers.get('content-security-policy') ?? '').split(';').map((d) => {
        const [name = '', ...sources] = d.trim().split(/\s+/);
        return [name, sources];
      }),
    );
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['script-src-attr']).toEqual(["'none'"]);
    expect(Object.values(csp).flat().filter((src) => /^https?:|^\*$|unsafe-eval/.test(src))).toEqual([]);
    expect(res.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests'); // plain http here
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers unknown API paths with a 404 problem', async () => {
    const c = new ApiClient(t.url);
    await c.signup();
    expectProblem(await c.get('/api/v1/nope'), 404);
  });
});

describe('signup disabled', () => {
  it('answers 403 when NEMBL_ALLOW_SIGNUP=false', async () => {
    const closed = await startTestApi({ NEMBL_ALLOW_SIGNUP: 'false' });
    try {
      const res = await new ApiClient(closed.url).post('/api/v1/auth/signup', {
        companyName: 'A',
        email: 'a@example.com',
        password: 'long enough password',
      });
      expectProblem(res, 403);
    } finally {
      await closed.close();
    }
  });
});
