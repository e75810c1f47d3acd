import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';
import { faultyStore } from './store-faults.js';

/** A stand-in for GitHub/Slack/Jira: records requests, answers 200 only to the expected credential. */
const startUpstream = async () => {
  const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers'] }> = [];
  let expected: { header: string; value: string } = { header: 'authorization', value: '' };
  let redirectTo: string | undefined;
  const server: Server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (redirectTo) {
      res.writeHead(302, { location: redirectTo }).end();
      return;
    }
    const ok = req.headers[expected.header] === expected.value;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ ok }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    expect: (header: string, value: string) => (expected = { header, value }),
    redirect: (to: string | undefined) => (redirectTo = to),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
};

let t: TestApi;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let faulty: ReturnType<typeof faultyStore>;

beforeAll(async () => {
  upstream = await startUpstream();
  // One store shared by api and worker, with a switch to make reads fail.
  t = await startTestApi({}, { wrapStore: (store) => (faulty = faultyStore(store)).store });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await upstream?.close();
});

const setup = async () => {
  const admin = new ApiClient(t.url);
  const s = await admin.signup();
  const token = async (roles: string[]) => (await admin.post('/api/v1/tokens', { name: `t-${Math.random()}`, roles })).body.token as string;
  return { admin, s, runner: ApiClient.withToken(t.url, await token(['Runner'])), token };
};

describe('connectors', () => {
  it('tests a github connector against a local server with the secret as bearer, never echoing it', async () => {
    const { admin } = await setup();
    await admin.post('/api/v1/secrets', { name: 'gh-token', value: 'ghp_connector-canary' });
    const created = await admin.post('/api/v1/connectors', { name: 'GitHub', kind: 'github', config: { baseUrl: upstream.url }, authSecret: 'gh-token' });
    expect(created.status).toBe(201);
    expect(created.body.connector).toMatchObject({ name: 'GitHub', kind: 'github', authSecret: 'gh-token', config: { baseUrl: upstream.url } });
    upstream.expect('authorization', 'Bearer ghp_connector-canary');
    const res = await admin.post(`/api/v1/connectors/${created.body.connector.id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true, status: 200, latencyMs: expect.any(Number) });
    expect(upstream.seen.at(-1)).toMatchObject({ method: 'GET', url: '/user' });
    expect(res.text).not.toContain('ghp_connector-canary');
    expect(t.logs.join('')).not.toContain('ghp_connector-canary');

    upstream.expect('authorization', 'Bearer something-else');
    const refused = await admin.post(`/api/v1/connectors/${created.body.connector.id}/test`);
    expect(refused.body).toMatchObject({ ok: false, status: 401 });
  });

  it('uses each kind’s endpoint and credential scheme', async () => {
    const { admin } = await setup();
    await admin.post('/api/v1/secrets', { name: 'tok', value: 'kind-canary' });
    const cases = [
      { kind: 'slack', config: { baseUrl: upstream.url }, method: 'POST', url: '/auth.test', header: 'authorization', value: 'Bearer kind-canary' },
      { kind: 'jira', config: { baseUrl: upstream.url, email: 'me@example.com' }, method: 'GET', url: '/rest/api/3/myself', header: 'authorization', value: `Basic ${Buffer.from('me@example.com:kind-canary').toString('base64')}` },
      { kind: 'jira', config: { baseUrl: `${upstream.url}/` }, method: 'GET', url: '/rest/api/3/myself', header: 'authorization', value: 'Bearer kind-canary' },
      { kind: 'http', config: { baseUrl: upstream.url, testPath: '/health', header: 'X-Api-Key', scheme: 'Token' }, method: 'GET', url: '/health', header: 'x-api-key', value: 'Token kind-canary' },
      { kind: 'http', config: { baseUrl: upstream.url }, method: 'GET', url: '/', header: 'authorization', value: 'Bearer kind-canary' },
    ];
    for (const [i, c] of cases.entries()) {
      const created = await admin.post('/api/v1/connectors', { name: `c${i}`, kind: c.kind, config: c.config, authSecret: 'tok' });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      upstream.expect(c.header, c.value);
      const res = await admin.post(`/api/v1/connectors/${created.body.connector.id}/test`);
      expect(res.body, `${c.kind} ${i}`).toMatchObject({ ok: true, status: 200 });
      expect(upstream.seen.at(-1)).toMatchObject({ method: c.method, url: c.url });
    }
  });

  it('does not follow redirects', async () => {
    const { admin } = await setup();
    await admin.post('/api/v1/secrets', { name: 'r', value: 'x' });
    const c = (await admin.post('/api/v1/connectors', { name: 'r', kind: 'http', config: { baseUrl: upstream.url }, authSecret: 'r' })).body.connector;
    upstream.redirect('http://169.254.169.254/latest/meta-data/');
    const before = upstream.seen.length;
    const res = await admin.post(`/api/v1/connectors/${c.id}/test`);
    upstream.redirect(undefined);
    expect(res.body).toMatchObject({ ok: false, status: 302 });
    expect(upstream.seen.length).toBe(before + 1);
  });

  it.each([
    ['credentials in the base URL', { kind: 'http', config: { baseUrl: 'http://user:pw@example.com' } }, 400, 'config.baseUrl'],
    ['a metadata address', { kind: 'http', config: { baseUrl: 'http://169.254.169.254' } }, 400, 'config.baseUrl'],
    ['a non-http URL', { kind: 'http', config: { baseUrl: 'ftp://example.com' } }, 400, 'config.baseUrl'],
    ['jira without baseUrl', { kind: 'jira', config: {} }, 400, 'config.baseUrl'],
    ['an unknown kind', { kind: 'gitlab', config: {} }, 400, 'kind'],
    ['an unknown config key', { kind: 'github', config: { org: 'x' } }, 400, 'config.org'],
    ['a missing secret', { kind: 'github', config: {}, authSecret: 'nope' }, 422, 'authSecret'],
    ['a malformed secret name', { kind: 'github', config: {}, authSecret: 'Bad_Name' }, 400, 'authSecret'],
  ])('refuses %s', async (_n, body, status, path) => {
    const { admin } = await setup();
    await admin.post('/api/v1/secrets', { name: 'ok-secret', value: 'x' });
    const res = await admin.post('/api/v1/connectors', { name: 'c', authSecret: 'ok-secret', ...body });
    expect(res.status).toBe(status);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('treats another company’s secret as missing (422)', async () => {
    const { admin } = await setup();
    const other = await setup();
    await other.admin.post('/api/v1/secrets', { name: 'theirs', value: 'x' });
    const res = await admin.post('/api/v1/connectors', { name: 'c', kind: 'github', config: {}, authSecret: 'theirs' });
    expect(res.status).toBe(422);
  });

  it('refuses a host that resolves to a blocked address, after DNS resolution', async () => {
    const strict = await startTestApi({ NEMBL_CONNECTOR_BLOCKED_CIDRS: '127.0.0.0/8, ::1/128' }, { worker: false });
    try {
      const admin = new ApiClient(strict.url);
      await admin.signup();
      // The secret needs no worker to exist as a row for this check: the target is refused first.
      const res = await admin.post('/api/v1/connectors', { name: 'c', kind: 'http', config: { baseUrl: 'http://localhost:9' }, authSecret: 'any-secret' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('config.baseUrl');
    } finally {
      await strict.close();
    }
  });

  it('hands credentials to service tokens only, with read_value', async () => {
    const { admin, runner, token } = await setup();
    await admin.post('/api/v1/secrets', { name: 'slack-bot', value: 'xoxb-canary' });
    const c = (await admin.post('/api/v1/connectors', { name: 'Slack', kind: 'slack', config: {}, authSecret: 'slack-bot' })).body.connector;
    const ok = await runner.post(`/api/v1/connectors/${c.id}/credentials`);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ value: 'xoxb-canary', version: 1 });
    expect(ok.headers.get('cache-control')).toContain('no-store');
    const cookie = await admin.post(`/api/v1/connectors/${c.id}/credentials`);
    expect(cookie.status).toBe(403);
    const dev = ApiClient.withToken(t.url, await token(['Developer']));
    const denied = await dev.post(`/api/v1/connectors/${c.id}/credentials`);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ action: 'secrets:read_value', reason: 'explicit_deny' });
    expect(denied.text).not.toContain('xoxb-canary');
  });
});

describe('workflows and runtime injection', () => {
  const workflow = (name = 'deploy') => ({
    name,
    phases: [
      { name: 'build', env: { REGION: 'eu-west-1' } },
      { name: 'deploy prod', env: { DEPLOY_TOKEN: 'secret:deploy-api-token', REGION: 'eu-west-1', DB_PASSWORD: 'secret:db-password' } },
    ],
  });

  it('resolves a phase env for a runner, pins versions per run, and gives new runs the new value', async () => {
    const { admin, runner } = await setup();
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'token-v1' });
    await admin.post('/api/v1/secrets', { name: 'db-password', value: 'db-v1' });
    const w = await admin.post('/api/v1/workflows', workflow());
    expect(w.status).toBe(201);
    const id = w.body.workflow.id;

    const run1 = await runner.post(`/api/v1/workflows/${id}/runs`);
    expect(run1.status).toBe(201);
    expect(run1.body.run).toMatchObject({ workflowId: id, status: 'running', expiresAt: expect.any(String) });
    const phase = encodeURIComponent('deploy prod');
    const env1 = await runner.post(`/api/v1/runs/${run1.body.run.id}/phases/${phase}/env`);
    expect(env1.status).toBe(200);
    expect(env1.body).toEqual({
      env: { DEPLOY_TOKEN: 'token-v1', REGION: 'eu-west-1', DB_PASSWORD: 'db-v1' },
      versions: { DEPLOY_TOKEN: { secret: 'deploy-api-token', version: 1 }, DB_PASSWORD: { secret: 'db-password', version: 1 } },
    });

    expect((await admin.put('/api/v1/secrets/deploy-api-token/value', { value: 'token-v2' })).status).toBe(200);
    const again = await runner.post(`/api/v1/runs/${run1.body.run.id}/phases/${phase}/env`);
    expect(again.body.env.DEPLOY_TOKEN).toBe('token-v1');
    expect(again.body.versions.DEPLOY_TOKEN.version).toBe(1);

    const run2 = await runner.post(`/api/v1/workflows/${id}/runs`);
    const env2 = await runner.post(`/api/v1/runs/${run2.body.run.id}/phases/${phase}/env`);
    expect(env2.body.env.DEPLOY_TOKEN).toBe('token-v2');
    expect(env2.body.versions.DEPLOY_TOKEN.version).toBe(2);

    const literal = await runner.post(`/api/v1/runs/${run2.body.run.id}/phases/build/env`);
    expect(literal.body).toEqual({ env: { REGION: 'eu-west-1' }, versions: {} });
    expect((await runner.post(`/api/v1/runs/${run2.body.run.id}/phases/nope/env`)).status).toBe(404);
  });

  it('refuses cookie sessions (Admin included), other companies’ runs and denied principals', async () => {
    const { admin, runner, token } = await setup();
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'x' });
    await admin.post('/api/v1/secrets', { name: 'db-password', value: 'y' });
    const id = (await admin.post('/api/v1/workflows', workflow())).body.workflow.id;
    const run = (await runner.post(`/api/v1/workflows/${id}/runs`)).body.run.id;
    const path = `/api/v1/runs/${run}/phases/deploy%20prod/env`;
    const cookie = await admin.post(path);
    expect(cookie.status).toBe(403);
    const other = await setup();
    expect((await other.runner.post(path)).status).toBe(404);
    const dev = ApiClient.withToken(t.url, await token(['Developer']));
    const denied = await dev.post(path);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ action: 'secrets:read_value', reason: 'explicit_deny' });
  });

  it('expires runs after NEMBL_RUN_TTL_HOURS (410)', async () => {
    const { admin, runner } = await setup();
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'x' });
    await admin.post('/api/v1/secrets', { name: 'db-password', value: 'y' });
    const id = (await admin.post('/api/v1/workflows', workflow())).body.workflow.id;
    const run = (await runner.post(`/api/v1/workflows/${id}/runs`)).body.run.id;
    t.clock.advance(25 * 3_600_000);
    const res = await runner.post(`/api/v1/runs/${run}/phases/build/env`);
    expect(res.status).toBe(410);
  });

  it.each([
    ['a lower-case env name', { phases: [{ name: 'p', env: { deploy_token: 'x' } }] }, 400, 'phases[0].env.deploy_token'],
    ['a dashed env name', { phases: [{ name: 'p', env: { 'DEPLOY-TOKEN': 'x' } }] }, 400, 'phases[0].env.DEPLOY-TOKEN'],
    ['an empty reference', { phases: [{ name: 'p', env: { T: 'secret:' } }] }, 400, 'phases[0].env.T'],
    ['a malformed reference', { phases: [{ name: 'p', env: { T: 'secret:Bad_Name' } }] }, 400, 'phases[0].env.T'],
    ['duplicate phase names', { phases: [{ name: 'p', env: {} }, { name: 'p', env: {} }] }, 400, 'phases[1].name'],
    ['a phase name with a slash', { phases: [{ name: 'build/deploy', env: {} }] }, 400, 'phases[0].name'],
    ['a phase name with a control character', { phases: [{ name: 'build\u0007', env: {} }] }, 400, 'phases[0].name'],
    ['a missing secret', { phases: [{ name: 'p', env: { T: 'secret:missing-one' } }] }, 422, 'phases[0].env.T'],
  ])('refuses a workflow with %s', async (_n, body, status, path) => {
    const { admin } = await setup();
    const res = await admin.post('/api/v1/workflows', { name: 'w', ...body });
    expect(res.status).toBe(status);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });

  it('refuses duplicate workflow names (409) and references to another company’s secret (422)', async () => {
    const { admin } = await setup();
    expect((await admin.post('/api/v1/workflows', { name: 'w', phases: [] })).status).toBe(201);
    expect((await admin.post('/api/v1/workflows', { name: 'w', phases: [] })).status).toBe(409);
    const other = await setup();
    await other.admin.post('/api/v1/secrets', { name: 'theirs', value: 'x' });
    expect((await admin.post('/api/v1/workflows', { name: 'x', phases: [{ name: 'p', env: { T: 'secret:theirs' } }] })).status).toBe(422);
  });

  it('shows bindings, reviews them before delete, then fails bound runs and connectors naming the deleted secret', async () => {
    const { admin, runner } = await setup();
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'x' });
    await admin.post('/api/v1/secrets', { name: 'db-password', value: 'y' });
    const w = (await admin.post('/api/v1/workflows', workflow('release'))).body.workflow;
    const c = (await admin.post('/api/v1/connectors', { name: 'Deployer', kind: 'http', config: { baseUrl: upstream.url }, authSecret: 'deploy-api-token' })).body.connector;

    const bound = (await admin.get('/api/v1/secrets/deploy-api-token')).body.secret.boundResources;
    expect(bound).toEqual([
      { kind: 'connector', id: c.id, name: 'Deployer', detail: 'http connector authentication' },
      { kind: 'workflow_phase', id: w.id, name: 'release', detail: 'phase deploy prod: DEPLOY_TOKEN' },
    ]);
    expect((await admin.get('/api/v1/secrets/deploy-api-token/bindings')).body.items).toEqual(bound);
    expect((await admin.get('/api/v1/secrets?q=deploy')).body.items[0].boundResources).toEqual(bound);
    const review = await admin.delete('/api/v1/secrets/deploy-api-token');
    expect(review.status).toBe(409);
    expect(review.body.boundResources).toEqual(bound);

    const run = (await runner.post(`/api/v1/workflows/${w.id}/runs`)).body.run.id;
    expect((await admin.delete('/api/v1/secrets/deploy-api-token?confirm=deploy-api-token')).status).toBe(200);

    const resolved = await runner.post(`/api/v1/runs/${run}/phases/deploy%20prod/env`);
    expect(resolved.status).toBe(422);
    expect(resolved.body.detail).toMatch(/deploy-api-token was deleted on \d{4}-\d\d-\d\dT/);
    const tested = await admin.post(`/api/v1/connectors/${c.id}/test`);
    expect(tested.status).toBe(422);
    expect(tested.body.detail).toContain('deploy-api-token was deleted');
    // Editing the connector away from the deleted secret removes the binding.
    await admin.post('/api/v1/secrets', { name: 'new-token', value: 'z' });
    await admin.patch(`/api/v1/connectors/${c.id}`, { authSecret: 'new-token' });
    expect((await admin.get('/api/v1/secrets/new-token')).body.secret.boundResources).toHaveLength(1);
    // A name used again: the create answers with what still refers to it.
    const recreated = await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'again' });
    expect(recreated.status).toBe(201);
    expect(recreated.body.secret.boundResources).toEqual([bound[1]]);
  });

  it('answers 503 with Retry-After when the store is down, caching nothing, and recovers', async () => {
    const { admin, runner } = await setup();
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'fresh-1' });
    await admin.post('/api/v1/secrets', { name: 'db-password', value: 'fresh-2' });
    const id = (await admin.post('/api/v1/workflows', workflow())).body.workflow.id;
    const run = (await runner.post(`/api/v1/workflows/${id}/runs`)).body.run.id;
    faulty.failReads();
    const down = await runner.post(`/api/v1/runs/${run}/phases/deploy%20prod/env`);
    faulty.heal();
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBeTruthy();
    expect(down.text).not.toContain('fresh-');
    const up = await runner.post(`/api/v1/runs/${run}/phases/deploy%20prod/env`);
    expect(up.status).toBe(200);
    expect(up.body.env.DEPLOY_TOKEN).toBe('fresh-1');
  });

  it('serves no value to any of the concurrent resolutions whose shared audit commit fails (503), then recovers', async () => {
    const { admin, runner } = await setup();
    await admin.post('/api/v1/secrets', { name: 'deploy-api-token', value: 'commit-1' });
    await admin.post('/api/v1/secrets', { name: 'db-password', value: 'commit-2' });
    const id = (await admin.post('/api/v1/workflows', workflow())).body.workflow.id;
    const run = (await runner.post(`/api/v1/workflows/${id}/runs`)).body.run.id;
    const path = `/api/v1/runs/${run}/phases/deploy%20prod/env`;
    expect((await runner.post(path)).status).toBe(200); // pinned, and the values cached
    // The audit rows are inserted, then refused at COMMIT (a deferred constraint trigger): the
    // statement of every batch (and of each retry alone) fails only when it commits.
    const tag = run.replaceAll('-', '');
    await t.dataSource.query(`
      CREATE FUNCTION refuse_${tag}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- A resolution's events share one row (packAuditEvents): the reason is per event or shared.
        IF coalesce(NEW.event->>'reason', NEW.event->'shared'->>'reason', NEW.event->'each'->0->>'reason') LIKE 'run:${run} %'
        THEN RAISE EXCEPTION 'audit commit refused (test)'; END IF;
        RETURN NULL;
      END $$;
      CREATE CONSTRAINT TRIGGER refuse_${tag} AFTER INSERT ON audit_outbox
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_${tag}()`);
    try {
      const refused = await Promise.all(Array.from({ length: 12 }, () => runner.post(path)));
      for (const res of refused) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBeTruthy();
        expect(res.text).not.toContain('commit-');
      }
    } finally {
      await t.dataSource.query(`DROP TRIGGER refuse_${tag} ON audit_outbox; DROP FUNCTION refuse_${tag}()`);
    }
    const up = await Promise.all(Array.from({ length: 6 }, () => runner.post(path)));
    expect(up.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(up[0]!.body.env.DEPLOY_TOKEN).toBe('commit-1');
  });
});
