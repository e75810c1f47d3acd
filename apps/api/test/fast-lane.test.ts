import net, { type AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../src/server.js';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

/**
 * The fast lane answers the hot reads outside Express. These tests send the same requests to the
 * test API (lane on) and to a second server on the same services with the lane off, and expect
 * the same answers: status, headers and body.
 */
let t: TestApi;
const servers: Server[] = [];
let laneUrl: string;
let expressUrl: string;
/** Requests the lane server handed to Express (its metrics middleware runs for each). */
let viaExpress = 0;
let fixture: { admin: ApiClient; adminToken: string; runnerToken: string; runPath: string };

beforeAll(async () => {
  t = await startTestApi();
  const deps = t.composed.serverDeps;
  const listen = async (app: ReturnType<typeof createServer>) => {
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const counting: typeof deps.metrics.middleware = (req, res, next) => {
    viaExpress += 1;
    deps.metrics.middleware(req, res, next);
  };
  laneUrl = await listen(createServer({ ...deps, metrics: { ...deps.metrics, middleware: counting } }));
  expressUrl = await listen(createServer({ ...deps, fastLane: false }));

  const admin = new ApiClient(t.url);
  await admin.signup();
  const token = async (roles: string[]) =>
    (await admin.post('/api/v1/tokens', { name: `t-${Math.random()}`, roles })).body.token as string;
  const adminToken = await token(['Admin']);
  const runnerToken = await token(['Runner']);
  for (const [name, tags] of [
    ['alpha-key', { environment: 'production' }],
    ['beta-key', { environment: 'staging' }],
    ['gamma-key', { environment: 'production' }],
  ] as const) {
    expect((await admin.post('/api/v1/secrets', { name, value: `lane-canary-${name}`, tags })).status).toBe(201);
  }
  const wf = await admin.post('/api/v1/workflows', {
    name: 'lane',
    phases: [{ name: 'deploy', env: { A: 'secret:alpha-key', B: 'secret:beta-key', REGION: 'eu-west-1' } }],
  });
  expect(wf.status).toBe(201);
  const run = await ApiClient.withToken(t.url, runnerToken).post(`/api/v1/workflows/${wf.body.workflow.id}/runs`);
  expect(run.status).toBe(201);
  fixture = { admin, adminToken, runnerToken, runPath: `/api/v1/runs/${run.body.run.id}/phases` };
}, 60_000);

afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await t?.close();
});

const VARYING = new Set(['date', 'keep-alive', 'connection']);

const answer = async (
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | object,
) => {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-request-id': 'lane-test-1', ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  const kept = [...res.headers].filter(([k]) => !VARYING.has(k)).sort(([a], [b]) => a.localeCompare(b));
  return { status: res.status, headers: kept, text };
};

/**
 * The same request to both servers; returns the lane's answer after comparing it with Express's.
 * `taken` says whether the lane should have answered it itself.
 */
const same = async (
  method: string,
  path: string,
  headers: Record<string, string> = {},
  taken: boolean | undefined = true,
  body?: string | object,
) => {
  const before = viaExpress;
  const lane = await answer(laneUrl, method, path, headers, body);
  if (taken !== undefined)
    expect(viaExpress - before, `${method} ${path} ${taken ? 'answered by the lane' : 'left to Express'}`).toBe(
      taken ? 0 : 1,
    );
  const express = await answer(expressUrl, method, path, headers, body);
  expect(lane).toEqual(express);
  return lane;
};

describe('the fast lane', () => {
  it('answers /healthz like Express: request id, security headers, body', async () => {
    const a = await same('GET', '/healthz');
    expect(a.status).toBe(200);
    expect(JSON.parse(a.text)).toEqual({ status: 'ok' });
    expect(Object.fromEntries(a.headers)).toMatchObject({
      'x-request-id': 'lane-test-1',
      'x-content-type-options': 'nosniff',
    });
    // Other spellings go to Express's own /healthz route (before its metrics, so not counted there).
    expect((await same('GET', '/healthz?probe=1', {}, undefined)).status).toBe(200);
    const minted = await fetch(`${laneUrl}/healthz`, { headers: { 'x-request-id': 'not valid!' } });
    expect(minted.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers GET /me for a token and for a session exactly as Express does', async () => {
    const token = await same('GET', '/api/v1/me', { authorization: `Bearer ${fixture.adminToken}` });
    expect(token.status).toBe(200);
    expect(JSON.parse(token.text)).toMatchObject({ user: null, roles: ['Admin'] });
    const session = await same('GET', '/api/v1/me', { cookie: fixture.admin.rawCookieHeader()! });
    expect(JSON.parse(session.text).user).toMatchObject({ roles: ['Admin'] });
  });

  it('answers conditional requests in full on both paths (API answers are no-store: never a 304)', async () => {
    // node:http, not fetch: fetch adds `Cache-Control: no-cache` beside a conditional header.
    const raw = (base: string, path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        http
          .get(base + path, { headers }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          })
          .on('error', reject);
      });
    const auth = { authorization: `Bearer ${fixture.adminToken}` };
    const conditions: Array<Record<string, string>> = [
      { 'if-none-match': '*' },
      { 'if-modified-since': new Date(Date.now() + 86_400_000).toUTCString() },
    ];
    for (const cond of conditions) {
      for (const base of [laneUrl, expressUrl])
        for (const path of ['/api/v1/me', '/api/v1/users']) {
          const got = await raw(base, path, { ...auth, ...cond });
          expect(got.status, `${path} ${JSON.stringify(cond)}`).toBe(200);
          expect(got.text.length).toBeGreaterThan(2);
        }
    }
  });

  it('answers credential problems the same: missing, bad and unknown tokens', async () => {
    expect((await same('GET', '/api/v1/me')).status).toBe(401);
    expect((await same('GET', '/api/v1/me', { authorization: 'Basic abc' })).status).toBe(401);
    expect((await same('GET', '/api/v1/secrets', { authorization: 'Bearer nmbl_nope' })).status).toBe(401);
    expect((await same('GET', '/api/v1/me', { cookie: 'nembl_session=expired' })).status).toBe(401);
  });

  it('answers secret reads the same: detail, list pages, tag filters, 404 and 400s', async () => {
    const auth = { authorization: `Bearer ${fixture.adminToken}` };
    const detail = await same('GET', '/api/v1/secrets/alpha-key', auth);
    expect(JSON.parse(detail.text)).toMatchObject({ secret: { name: 'alpha-key' }, versions: [{ version: 1 }] });
    const page = await same('GET', '/api/v1/secrets?limit=2', auth);
    const body = JSON.parse(page.text);
    expect(body.items.map((s: { name: string }) => s.name)).toEqual(['alpha-key', 'beta-key']);
    await same('GET', `/api/v1/secrets?limit=2&cursor=${body.nextCursor}`, auth);
    const tagged = await same('GET', '/api/v1/secrets?tag=environment:production&tag=environment:production', auth);
    expect(JSON.parse(tagged.text).items.map((s: { name: string }) => s.name)).toEqual(['alpha-key', 'gamma-key']);
    expect((await same('GET', '/api/v1/secrets/no-such-secret', auth)).status).toBe(404);
    expect((await same('GET', '/api/v1/secrets/Not_A_Name', auth)).status).toBe(400);
    expect((await same('GET', '/api/v1/secrets?limit=0', auth)).status).toBe(400);
    expect((await same('GET', '/api/v1/secrets?cursor=%%%', auth, false)).status).toBe(400);
    expect((await same('GET', '/api/v1/secrets?cursor=bm90LWEtY3Vyc29y', auth)).status).toBe(400);
    expect((await same('GET', '/api/v1/secrets?tag=nocolon', auth)).status).toBe(400);
    expect((await same('GET', '/api/v1/secrets?q=%00', auth)).status).toBe(400);
    // A malformed URI, other spellings and bodies are left to Express.
    expect((await same('GET', '/api/v1/secrets/%E0%A4%A', auth, false)).status).toBe(400);
    expect((await same('GET', '/api/v1/Secrets/alpha-key', auth, false)).status).toBe(200);
    expect((await same('GET', '/api/v1/secrets/', auth, false)).status).toBe(200);
    expect((await same('HEAD', '/api/v1/secrets/alpha-key', auth, false)).status).toBe(200);
    expect((await same('GET', '/api/v1/secrets/alpha-key/bindings', auth, false)).status).toBe(200);
  });

  it('resolves a phase the same way, values and versions included, and refuses what Express refuses', async () => {
    const runner = { authorization: `Bearer ${fixture.runnerToken}` };
    const env = await same('POST', `${fixture.runPath}/deploy/env`, runner);
    expect(env.status).toBe(200);
    expect(JSON.parse(env.text)).toEqual({
      env: { A: 'lane-canary-alpha-key', B: 'lane-canary-beta-key', REGION: 'eu-west-1' },
      versions: { A: { secret: 'alpha-key', version: 1 }, B: { secret: 'beta-key', version: 1 } },
    });
    expect(Object.fromEntries(env.headers)['cache-control']).toBe('no-store');
    expect((await same('POST', `${fixture.runPath}/nope/env`, runner)).status).toBe(404);
    expect((await same('POST', '/api/v1/runs/not-a-uuid/phases/deploy/env', runner)).status).toBe(400);
    expect(
      (await same('POST', `${fixture.runPath}/deploy/env`, { authorization: `Bearer ${fixture.adminToken}` })).status,
    ).toBe(200);
    // A cookie session may not read values; its write also needs the CSRF token (Express's path).
    expect(
      (await same('POST', `${fixture.runPath}/deploy/env`, { cookie: fixture.admin.rawCookieHeader()! }, false)).status,
    ).toBe(403);
    // Not even with an empty or non-bearer Authorization header beside the cookie: Express answers
    // (the empty header is a cookie session, stopped by CSRF; the others are refused credentials).
    const cookie = fixture.admin.rawCookieHeader()!;
    expect((await same('POST', `${fixture.runPath}/deploy/env`, { cookie, authorization: '' }, false)).text).toMatch(
      /CSRF/,
    );
    for (const authorization of ['Basic Zm9vOmJhcg==', 'Bearer'])
      expect((await same('POST', `${fixture.runPath}/deploy/env`, { cookie, authorization }, false)).status).toBe(401);
    expect(
      (
        await same('POST', `${fixture.runPath}/deploy/env`, {
          ...runner,
          'content-type': 'application/json',
          'content-length': '0',
        })
      ).status,
    ).toBe(200);
  });

  it('creates a secret the same way: 201 with the secret and its operation, audited, the value stored and never answered', async () => {
    const auth = { authorization: `Bearer ${fixture.adminToken}` };
    const created: Record<string, string> = {};
    const answers = [];
    for (const [base, name] of [
      [laneUrl, 'lane-new-a'],
      [expressUrl, 'lane-new-b'],
    ] as const) {
      const before = viaExpress;
      const a = await answer(
        base,
        'POST',
        '/api/v1/secrets',
        { ...auth, 'content-type': 'application/json' },
        {
          name,
          value: `lane-canary-value-${name}`,
          tags: { environment: 'production' },
          description: 'made by the lane test',
        },
      );
      if (base === laneUrl) expect(viaExpress - before, 'the create answered by the lane').toBe(0);
      expect(a.status).toBe(201);
      expect(a.text).not.toContain('lane-canary-value');
      created[name] = JSON.parse(a.text).operation.id as string;
      // The same answer but for the name, ids and times.
      answers.push({
        ...a,
        text: a.text
          .replaceAll(name, 'NAME')
          .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID')
          .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, 'TIME'),
      });
    }
    expect(answers[0]).toEqual(answers[1]);
    // Both wrote the same audit event with the operation (fail-closed, in its transaction) and the value.
    for (const [name, operationId] of Object.entries(created)) {
      const events: Array<{ n: number }> = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM (
           SELECT event->>'operationId' AS op FROM audit_outbox WHERE event->>'action' = 'secrets:create'
           UNION ALL SELECT operation_id::text FROM audit_events WHERE action = 'secrets:create') e WHERE op = $1`,
        [operationId],
      );
      expect(events[0]?.n, name).toBe(1);
    }
  });

  it('refuses a create the same way: credentials, JSON, fields, text, policy, a taken name; other bodies go to Express', async () => {
    const auth = { authorization: `Bearer ${fixture.adminToken}`, 'content-type': 'application/json' };
    const post = (headers: Record<string, string>, body: string | object, taken: boolean | undefined = true) =>
      same('POST', '/api/v1/secrets', headers, taken, body);
    expect((await post({ ...auth, authorization: 'Bearer nmbl_nope' }, { name: 'x-1', value: 'v' })).status).toBe(401);
    expect((await post(auth, '{"name": "x-1", "value":')).status).toBe(400);
    expect((await post(auth, '"a string"')).status).toBe(400);
    expect((await post(auth, ' \n[1]')).status).toBe(400);
    const missing = await post(auth, { name: 'x-1' });
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('value');
    // A byte order mark is dropped before parsing, as body-parser drops it.
    expect((await post(auth, '\uFEFF{"name": "x-1"}')).text).toContain('value');
    expect((await post(auth, { name: 'x-1', value: 'a\u0000b' })).status).toBe(400);
    expect((await post(auth, { name: 'Not_A_Name', value: 'v' })).status).toBe(400);
    expect(
      (await post({ ...auth, 'content-type': 'application/json; charset=UTF-8' }, { name: 'alpha-key', value: 'v' }))
        .status,
    ).toBe(409);
    expect(
      (
        await post(
          { authorization: `Bearer ${fixture.runnerToken}`, 'content-type': 'application/json' },
          { name: 'x-2', value: 'v' },
        )
      ).status,
    ).toBe(403);
    // Left to Express: other media types and charsets, encodings, no body, a cookie session.
    expect((await post({ ...auth, 'content-type': 'text/plain' }, '{"name": "x-3"}', false)).status).toBe(400);
    expect((await post({ ...auth, 'content-type': 'application/json; charset=iso-8859-1' }, '{}', false)).status).toBe(
      415,
    );
    expect((await post({ ...auth, 'content-encoding': 'gzip' }, '{}', false)).status).toBe(400);
    expect((await same('POST', '/api/v1/secrets', { authorization: auth.authorization }, false)).status).toBe(400);
    expect(
      (
        await post(
          { cookie: fixture.admin.rawCookieHeader()!, 'content-type': 'application/json' },
          { name: 'x-4', value: 'v' },
          false,
        )
      ).status,
    ).toBe(403);
  });

  it('answers a spent rate limit and an unexpected failure the same way: 429 with Retry-After, 500 without the error', async () => {
    const deps = t.composed.serverDeps;
    const pair = async (overrides: Partial<typeof deps>) => {
      const urls: string[] = [];
      for (const fastLane of [true, false]) {
        const app = createServer({ ...deps, ...overrides, fastLane });
        const server = await new Promise<Server>((resolve) => {
          const s = app.listen(0, '127.0.0.1', () => resolve(s));
        });
        servers.push(server);
        urls.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      }
      return urls as [string, string];
    };
    const auth = { authorization: `Bearer ${fixture.adminToken}` };
    const [limitedLane, limitedExpress] = await pair({ apiLimiter: { consume: async () => 7 } });
    const limited = await answer(limitedLane, 'GET', '/api/v1/me', auth);
    expect(limited).toEqual(await answer(limitedExpress, 'GET', '/api/v1/me', auth));
    expect(limited.status).toBe(429);
    expect(Object.fromEntries(limited.headers)['retry-after']).toBe('7');
    const write = { ...auth, 'content-type': 'application/json' };
    const create = { name: 'lane-limited', value: 'lane-canary-limited' };
    const limitedWrite = await answer(limitedLane, 'POST', '/api/v1/secrets', write, create);
    expect(limitedWrite).toEqual(await answer(limitedExpress, 'POST', '/api/v1/secrets', write, create));
    expect(limitedWrite.status).toBe(429);

    const failing = {
      ...deps.secrets,
      get: async () => {
        throw new Error('boom lane-canary-internal');
      },
    };
    const [brokenLane, brokenExpress] = await pair({ secrets: failing });
    const broken = await answer(brokenLane, 'GET', '/api/v1/secrets/alpha-key', auth);
    expect(broken).toEqual(await answer(brokenExpress, 'GET', '/api/v1/secrets/alpha-key', auth));
    expect(broken.status).toBe(500);
    expect(broken.text).not.toContain('canary');
    const [brokenWriteLane, brokenWriteExpress] = await pair({
      secrets: { ...deps.secrets, create: async () => Promise.reject(new Error('boom lane-canary-internal')) },
    });
    const brokenWrite = await answer(brokenWriteLane, 'POST', '/api/v1/secrets', write, create);
    expect(brokenWrite).toEqual(await answer(brokenWriteExpress, 'POST', '/api/v1/secrets', write, create));
    expect(brokenWrite.status).toBe(500);
    expect(brokenWrite.text).not.toContain('canary');
  });

  it('logs and counts what it answers like the Express routes', async () => {
    await fetch(`${laneUrl}/api/v1/secrets/beta-key`, {
      headers: { authorization: `Bearer ${fixture.adminToken}`, 'x-request-id': 'lane-log-1' },
    });
    const line = t.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => (l.req as { id?: string } | undefined)?.id === 'lane-log-1');
    expect(line).toMatchObject({
      req: { method: 'GET', path: '/api/v1/secrets/beta-key' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    const text = await (await fetch(`${laneUrl}/metrics`)).text();
    expect(text).toMatch(
      /nembl_http_requests_total\{method="GET",route="\/api\/v1\/secrets\/:name",status="200"\} \d+/,
    );
    expect(t.logs.join('')).not.toContain(fixture.adminToken);
  });
  it('takes a create whose client hangs up mid-body as aborted: an info line, no 5xx, no error', async () => {
    const port = Number(new URL(laneUrl).port);
    const failedCreates = async () => {
      const text = await (await fetch(`${laneUrl}/metrics`)).text();
      return [
        ...text.matchAll(/nembl_http_requests_total\{method="POST",route="\/api\/v1\/secrets",status="5\d\d"\} (\d+)/g),
      ]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0);
    };
    const failedBefore = await failedCreates();
    const body = JSON.stringify({ name: 'aborted-create', value: 'lane-canary-aborted-0123456789' });
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          [
            'POST /api/v1/secrets HTTP/1.1',
            'Host: 127.0.0.1',
            `Authorization: Bearer ${fixture.adminToken}`,
            'Content-Type: application/json',
            `Content-Length: ${body.length + 60}`,
            'X-Request-Id: lane-abort-1',
            '',
            body.slice(0, 40),
          ].join('\r\n'),
        );
        setTimeout(() => socket.destroy(), 150);
      });
      socket.once('close', () => resolve());
      socket.once('error', reject);
    });
    const line = async () => {
      for (let i = 0; i < 50; i++) {
        const found = t.logs
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((l) => (l.req as { id?: string } | undefined)?.id === 'lane-abort-1');
        if (found.length > 0) return found;
        await new Promise((r) => setTimeout(r, 20));
      }
      return [];
    };
    const lines = await line();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request aborted',
      req: { method: 'POST', path: '/api/v1/secrets' },
    });
    expect(await failedCreates()).toBe(failedBefore);
    expect((await fixture.admin.get('/api/v1/secrets/aborted-create')).status).toBe(404);
    expect(t.logs.join('')).not.toContain('lane-canary-aborted');
  });
});
