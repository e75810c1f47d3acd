import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/server.js';
import { ApiClient, startTestApi, type ApiResponse, type TestApi } from './harness.js';

/**
 * Input that cannot be decoded or stored (issue 9, items 3–7): every one of these answered 500.
 * Each must be a 400 (or 415) problem naming the field, the parameter or the body.
 */
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
}, 60_000);
afterAll(async () => t?.close());

const NUL = '\u0000';
const LONE = '\ud800';

const expectNamed = (res: ApiResponse, path: string, status = 400, label = path) => {
  expect(res.status, `${label}: ${res.text}`).toBe(status);
  expect(res.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
  expect(
    res.body.errors?.map((e: { path: string }) => e.path),
    label,
  ).toContain(path);
};

/** A company with one of everything, and the clients that reach it. */
const setup = async () => {
  const admin = new ApiClient(t.url);
  const s = await admin.signup();
  const runnerToken = (await admin.post('/api/v1/tokens', { name: 'runner', roles: ['Runner'] })).body.token as string;
  const runner = ApiClient.withToken(t.url, runnerToken);
  const user = (
    await admin.post('/api/v1/users', {
      email: `u-${Date.now()}@example.com`,
      name: 'U',
      password: 'a long enough password',
    })
  ).body.user;
  await admin.post('/api/v1/secrets', { name: 'db-password', value: 'v1' });
  const workflow = (
    await admin.post('/api/v1/workflows', {
      name: 'deploy',
      phases: [{ name: 'build', env: { A: 'secret:db-password' } }],
    })
  ).body.workflow;
  const connector = (
    await admin.post('/api/v1/connectors', {
      name: 'hook',
      kind: 'http',
      config: { baseUrl: 'http://127.0.0.1:9' },
      authSecret: 'db-password',
    })
  ).body.connector;
  const run = (await admin.post(`/api/v1/workflows/${workflow.id}/runs`)).body.run;
  return { admin, s, runner, user, workflow, connector, run };
};

type Case = { method: string; path: string; body?: unknown; field: string; as?: 'anonymous' | 'runner' };

/** The text fields and text query parameters of the API, each carrying `bad`. */
const textCases = (ctx: Awaited<ReturnType<typeof setup>>, bad: string): Case[] => {
  // A lone surrogate has no UTF-8 form: in a URI it can only arrive as its (invalid) 3-byte encoding.
  const q = bad === LONE ? '%ED%A0%80' : encodeURIComponent(bad);
  return [
    {
      method: 'POST',
      path: '/api/v1/auth/login',
      body: { email: `a${bad}@example.com`, password: 'whatever it is' },
      field: 'email',
      as: 'anonymous',
    },
    {
      method: 'POST',
      path: '/api/v1/auth/login',
      body: { email: ctx.s.email, password: `pw${bad}` },
      field: 'password',
      as: 'anonymous',
    },
    {
      method: 'POST',
      path: '/api/v1/auth/signup',
      body: { companyName: `Co${bad}`, email: 'x@example.com', password: 'a long enough password' },
      field: 'companyName',
      as: 'anonymous',
    },
    {
      method: 'PUT',
      path: '/api/v1/me/password',
      body: { currentPassword: `pw${bad}`, newPassword: 'a long enough password' },
      field: 'currentPassword',
    },
    {
      method: 'POST',
      path: '/api/v1/users',
      body: { email: 'n@example.com', name: `N${bad}`, password: 'a long enough password' },
      field: 'name',
    },
    { method: 'PATCH', path: `/api/v1/users/${ctx.user.id}`, body: { name: `N${bad}` }, field: 'name' },
    { method: 'POST', path: '/api/v1/tokens', body: { name: `tok${bad}` }, field: 'name' },
    {
      method: 'POST',
      path: '/api/v1/secrets',
      body: { name: 'new-one', value: 'v', description: `d${bad}` },
      field: 'description',
    },
    { method: 'POST', path: '/api/v1/secrets', body: { name: 'new-one', value: `v${bad}` }, field: 'value' },
    {
      method: 'POST',
      path: '/api/v1/secrets',
      body: { name: 'new-one', value: 'v', tags: { env: `prod${bad}` } },
      field: 'tags.env',
    },
    { method: 'PATCH', path: '/api/v1/secrets/db-password', body: { description: `d${bad}` }, field: 'description' },
    { method: 'PATCH', path: '/api/v1/secrets/db-password', body: { tags: { env: `prod${bad}` } }, field: 'tags.env' },
    { method: 'PUT', path: '/api/v1/secrets/db-password/value', body: { value: `v${bad}` }, field: 'value' },
    { method: 'DELETE', path: '/api/v1/secrets/db-password', body: { confirm: `db-password${bad}` }, field: 'confirm' },
    { method: 'DELETE', path: `/api/v1/secrets/db-password?confirm=${q}`, field: 'confirm' },
    {
      method: 'POST',
      path: '/api/v1/policies',
      body: { name: `p${bad}`, statements: [{ effect: 'allow', actions: ['secrets:read'], principals: '*' }] },
      field: 'name',
    },
    {
      method: 'POST',
      path: '/api/v1/policies',
      body: {
        name: 'p',
        description: `d${bad}`,
        statements: [{ effect: 'allow', actions: ['secrets:read'], principals: '*' }],
      },
      field: 'description',
    },
    {
      method: 'POST',
      path: '/api/v1/policies/simulate',
      body: { principal: { roles: ['Viewer'] }, action: 'secrets:read', resource: { name: `n${bad}` } },
      field: 'resource.name',
    },
    { method: 'POST', path: '/api/v1/workflows', body: { name: `w${bad}`, phases: [] }, field: 'name' },
    {
      method: 'POST',
      path: '/api/v1/workflows',
      body: { name: 'w', phases: [{ name: `ph${bad}`, env: {} }] },
      field: 'phases[0].name',
    },
    {
      method: 'PUT',
      path: `/api/v1/workflows/${ctx.workflow.id}`,
      body: { name: 'w', phases: [{ name: 'ph', env: { X: `lit${bad}` } }] },
      field: 'phases[0].env.X',
    },
    {
      method: 'POST',
      path: '/api/v1/connectors',
      body: { name: `c${bad}`, kind: 'github', authSecret: 'db-password' },
      field: 'name',
    },
    { method: 'PATCH', path: `/api/v1/connectors/${ctx.connector.id}`, body: { name: `c${bad}` }, field: 'name' },
    { method: 'GET', path: `/api/v1/secrets?q=${q}`, field: 'q' },
    { method: 'GET', path: `/api/v1/secrets?tag=env:${q}`, field: 'tag' },
    { method: 'GET', path: `/api/v1/audit?actor=${q}`, field: 'actor' },
    { method: 'GET', path: `/api/v1/audit?action=${q}`, field: 'action' },
    { method: 'GET', path: `/api/v1/audit?secret=${q}`, field: 'secret' },
    { method: 'POST', path: `/api/v1/runs/${ctx.run.id}/phases/${q}/env`, field: 'phase', as: 'runner' },
  ];
};

const send = (ctx: Awaited<ReturnType<typeof setup>>, c: Case) => {
  const client = c.as === 'anonymous' ? new ApiClient(t.url) : c.as === 'runner' ? ctx.runner : ctx.admin;
  return client.request(c.method, c.path, c.body);
};

/**
 * What a company's rows look like to its Admin, to show a refused request changed nothing
 * (`lastUsedAt` moves whenever the runner token is used, refused or not).
 */
const visibleState = async (admin: ApiClient) =>
  Promise.all(
    [
      '/api/v1/users',
      '/api/v1/tokens',
      '/api/v1/secrets',
      '/api/v1/policies',
      '/api/v1/workflows',
      '/api/v1/connectors',
    ].map(async (p) =>
      (await admin.get(p)).body.items.map(({ lastUsedAt: _used, ...row }: Record<string, unknown>) => row),
    ),
  );

describe('text that cannot be stored', () => {
  it('answers a NUL character in any text field or text query parameter with 400 naming it, and stores nothing', async () => {
    const ctx = await setup();
    const before = await visibleState(ctx.admin);
    for (const c of textCases(ctx, NUL))
      expectNamed(await send(ctx, c), c.field, 400, `${c.method} ${c.path} ${c.field}`);
    expect(await visibleState(ctx.admin)).toEqual(before);
  });

  it('answers a lone UTF-16 surrogate in any text field or text query parameter with 400 naming it', async () => {
    const ctx = await setup();
    const before = await visibleState(ctx.admin);
    for (const c of textCases(ctx, LONE))
      expectNamed(await send(ctx, c), c.field, 400, `${c.method} ${c.path} ${c.field}`);
    expect(await visibleState(ctx.admin)).toEqual(before);
  });

  it('refuses other control characters in one-line fields but keeps tabs and newlines in descriptions', async () => {
    const ctx = await setup();
    expectNamed(await ctx.admin.post('/api/v1/tokens', { name: 'line\nbreak' }), 'name');
    expectNamed(
      await ctx.admin.post('/api/v1/workflows', { name: 'w', phases: [{ name: 'bell\u0007', env: {} }] }),
      'phases[0].name',
    );
    expectNamed(
      await ctx.admin.patch('/api/v1/secrets/db-password', { description: 'escape \u001b[31m' }),
      'description',
    );
    const ok = await ctx.admin.patch('/api/v1/secrets/db-password', { description: 'line one\n\tline two 😀' });
    expect(ok.status).toBe(200);
    expect(ok.body.secret.description).toBe('line one\n\tline two 😀');
  });

  it('refuses control characters in a policy name and description as everywhere else', async () => {
    const ctx = await setup();
    const before = await visibleState(ctx.admin);
    const statements = [{ effect: 'allow', actions: ['secrets:read'], principals: '*' }];
    expectNamed(await ctx.admin.post('/api/v1/policies', { name: 'bell\u0007', statements }), 'name');
    expectNamed(
      await ctx.admin.post('/api/v1/policies', { name: 'p', description: 'escape \u001b[31m', statements }),
      'description',
    );
    expect(await visibleState(ctx.admin)).toEqual(before);
    const ok = await ctx.admin.post('/api/v1/policies', { name: 'p', description: 'line one\n\tline two', statements });
    expect(ok.status).toBe(201);
  });

  it('answers a __proto__ key (which every schema would silently drop) with 400 naming it', async () => {
    const ctx = await setup();
    const before = await visibleState(ctx.admin);
    const raw = (method: string, path: string, json: string, client = ctx.admin) =>
      client.request(method, path, json);
    expectNamed(await raw('POST', '/api/v1/secrets', '{"name":"proto","value":"v","tags":{"__proto__":"x"}}'), 'tags.__proto__');
    expectNamed(await raw('PATCH', '/api/v1/secrets/db-password', '{"tags":{"env":"a","__proto__":"x"}}'), 'tags.__proto__');
    expectNamed(
      await raw('POST', '/api/v1/me/permissions', '{"checks":[{"action":"secrets:read","tags":{"__proto__":{"a":"b"}}}]}'),
      'checks[0].tags.__proto__',
    );
    expect(await visibleState(ctx.admin)).toEqual(before);
  });

  it('names a NUL in an object key by the object holding it', async () => {
    const ctx = await setup();
    expectNamed(await ctx.admin.patch('/api/v1/secrets/db-password', { tags: { [`e${NUL}nv`]: 'x' } }), 'tags');
  });
});

describe('forged pagination cursors', () => {
  const forge = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

  it('answers a cursor it did not make with 400 naming cursor on every list', async () => {
    const ctx = await setup();
    const uuid = '00000000-0000-4000-8000-000000000000';
    const forged = [
      forge(['a', 'not-a-uuid']),
      forge([`a${NUL}`, uuid]),
      forge([1, 2]),
      forge({ name: 'a' }),
      forge(['a']),
      'not*base64',
    ];
    const lists = ['/api/v1/users', '/api/v1/tokens', '/api/v1/policies', '/api/v1/connectors', '/api/v1/workflows'];
    for (const list of lists) {
      for (const cursor of forged)
        expectNamed(
          await ctx.admin.get(`${list}?cursor=${encodeURIComponent(cursor)}`),
          'cursor',
          400,
          `${list} ${cursor}`,
        );
    }
    for (const cursor of [forge(['Not A Name']), forge([`a${NUL}`]), forge(['a', uuid])]) {
      expectNamed(await ctx.admin.get(`/api/v1/secrets?cursor=${cursor}`), 'cursor', 400, `secrets ${cursor}`);
    }
    for (const cursor of [
      forge(['2024-01-01T00:00:00Z', 0]),
      forge(['2024-01-01T00:00:00Z', 1.5]),
      forge(['2024-01-01', 'x']),
    ]) {
      expectNamed(await ctx.admin.get(`/api/v1/audit?cursor=${cursor}`), 'cursor', 400, `audit ${cursor}`);
    }
  });

  it('still pages through with the cursors it made', async () => {
    const ctx = await setup();
    await ctx.admin.post('/api/v1/tokens', { name: 'second' });
    const first = await ctx.admin.get('/api/v1/tokens?limit=1');
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await ctx.admin.get(`/api/v1/tokens?limit=1&cursor=${first.body.nextCursor}`);
    expect(second.status).toBe(200);
    expect(second.body.items[0].name).not.toBe(first.body.items[0].name);
  });
});

describe('bad percent-encoding', () => {
  it('answers a path or query that is not percent-encoded UTF-8 with 400 naming the parameter', async () => {
    const ctx = await setup();
    expectNamed(await ctx.admin.get('/api/v1/users/%ZZ'), 'id');
    expectNamed(await ctx.admin.get('/api/v1/secrets/%E0%A4%A'), 'name');
    expectNamed(await ctx.admin.delete('/api/v1/workflows/%C0%AF'), 'id');
    expectNamed(await ctx.runner.post(`/api/v1/runs/${ctx.run.id}/phases/%E0%A4%A/env`), 'phase');
    expectNamed(await ctx.admin.get('/api/v1/%ZZ/nothing'), 'path');
    expectNamed(await ctx.admin.get('/api/v1/secrets?q=%E0%A4%A'), 'q');
  });

  it('answers a bad path outside the API (the console) with 400', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'nembl-web-'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>console</title>');
    const app = createServer({ ...t.composed.serverDeps, webRoot });
    const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await new ApiClient(base).get('/%E0%A4%A');
      expectNamed(res, 'path');
      expect((await new ApiClient(base).get('/secrets/some-name')).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(webRoot, { recursive: true, force: true });
    }
  });
});

describe('Content-Encoding', () => {
  const login = (body: Buffer | string, encoding: string) =>
    fetch(`${t.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      body,
    }).then(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() }));

  it('answers a body that is not what its gzip, deflate or br encoding says with 400 naming body', async () => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const res = await login('{"email":"a@example.com","password":"x"}', encoding);
      expect(res.status, encoding).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.text).errors.map((e: { path: string }) => e.path)).toContain('body');
    }
  });

  it('still accepts bodies really encoded with gzip, deflate and br', async () => {
    const json = JSON.stringify({ email: 'nobody@example.com', password: 'not the password' });
    for (const [encoding, body] of [
      ['gzip', gzipSync(json)],
      ['deflate', deflateSync(json)],
      ['br', brotliCompressSync(json)],
    ] as const) {
      expect((await login(body, encoding)).status, encoding).toBe(401);
    }
  });

  it('answers an encoding it does not accept with 415 naming Content-Encoding', async () => {
    for (const encoding of ['zstd', 'compress', 'gzip, br']) {
      const res = await login('{}', encoding);
      expect(res.status, encoding).toBe(415);
      expect(JSON.parse(res.text).errors.map((e: { path: string }) => e.path)).toContain('Content-Encoding');
    }
  });
});
