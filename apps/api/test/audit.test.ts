import { randomBytes } from 'node:crypto';
import { AUDIT_OUTBOX_CHANNEL, createQueue, enqueue, QueueName, redisConnection, toAuditPayload } from '@nembl/core';
import { startTcpProxy } from '@nembl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

interface AuditEvent {
  id: string;
  at: string;
  actor: { type: string; id: string | null; label: string };
  action: string;
  resource: { kind: string; name: string | null };
  decision: 'allow' | 'deny';
  reason: string;
  count: number;
  operationId?: string;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  hash: string;
  prevHash: string;
}

const EVENT_KEYS = [
  'action',
  'actor',
  'at',
  'count',
  'decision',
  'hash',
  'id',
  'ip',
  'prevHash',
  'reason',
  'requestId',
  'resource',
  'userAgent',
];
const UA = 'nembl-audit-test/1.0';

/** Polls GET /audit until `ready` accepts the items (events reach the log asynchronously). */
const auditUntil = (
  c: ApiClient,
  query: string,
  ready: (items: AuditEvent[]) => boolean,
  timeout = 15_000,
): Promise<AuditEvent[]> =>
  vi.waitFor(
    async () => {
      const res = await c.get(`/api/v1/audit${query}`);
      expect(res.status).toBe(200);
      const items = res.body.items as AuditEvent[];
      if (!ready(items)) throw new Error(`audit log not ready: ${items.map((e) => e.action).join(', ')}`);
      return items;
    },
    { timeout, interval: 100 },
  );

const hasActions =
  (...actions: string[]) =>
  (items: AuditEvent[]) =>
    actions.every((a) => items.some((e) => e.action === a));

const uniq = (p: string) => `${p}-${randomBytes(3).toString('hex')}`;

/** A user of the admin's company with no roles: every policy check denies it. */
const powerlessUser = async (t: TestApi, admin: ApiClient) => {
  const email = `${uniq('nobody')}@example.com`;
  const password = 'powerless password 1';
  const created = await admin.post('/api/v1/users', { email, name: 'Nobody', password, roles: [], groups: [] });
  expect(created.status).toBe(201);
  const c = new ApiClient(t.url);
  expect((await c.login(email, password)).status).toBe(200);
  return { client: c, id: created.body.user.id as string, email };
};

describe('the audit log', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(async () => t?.close());

  it('audits metadata reads: a secret read, and one event per list call', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const name = uniq('read-me');
    await admin.post('/api/v1/secrets', { name, value: 'metadata-read-canary' });
    await admin.get(`/api/v1/secrets/${name}`);
    await admin.get('/api/v1/secrets');
    const items = await auditUntil(admin, '?action=secrets:read', (xs) => xs.length >= 2);
    expect(items.find((e) => e.resource.name === name)).toMatchObject({
      decision: 'allow',
      resource: { kind: 'secret', name },
    });
    expect(items.filter((e) => e.resource.name === null && e.reason.startsWith('list:'))).toHaveLength(1);
    expect(JSON.stringify(items)).not.toContain('metadata-read-canary');
  });

  it('records signup, login, failed login, token and secret creation with every field, and never a value', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup({ companyName: 'Audited' });
    expect((await new ApiClient(t.url).login(s.email, 'wrong password!!')).status).toBe(401);
    expect((await new ApiClient(t.url).login(s.email, s.password)).status).toBe(200);
    const token = await admin.post('/api/v1/tokens', { name: 'ci-runner', roles: [], groups: [] });
    expect(token.status).toBe(201);
    const canary = `audit-canary-${randomBytes(8).toString('hex')}`;
    const secret = await admin.request(
      'POST',
      '/api/v1/secrets',
      { name: 'audited-secret', value: canary },
      { 'user-agent': UA },
    );
    expect([201, 202]).toContain(secret.status);

    const items = await auditUntil(
      admin,
      '?limit=200',
      hasActions(
        'auth:signup',
        'auth:login_failed',
        'auth:login',
        'tokens:create',
        'secrets:create',
        'secrets:create_succeeded',
      ),
    );
    for (const e of items) {
      expect(
        Object.keys(e)
          .filter((k) => k !== 'operationId')
          .sort(),
      ).toEqual(EVENT_KEYS);
      expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(e.prevHash).toMatch(/^[0-9a-f]{64}$/);
      expect(new Date(e.at).toISOString()).toBe(e.at);
    }
    const one = (action: string) => items.find((e) => e.action === action)!;
    expect(one('auth:signup')).toMatchObject({
      actor: { type: 'user', id: s.user.id, label: s.email },
      resource: { kind: 'company', name: 'Audited' },
      decision: 'allow',
      reason: 'signup',
      count: 1,
    });
    expect(one('auth:login_failed')).toMatchObject({
      decision: 'deny',
      reason: 'wrong_password',
      resource: { kind: 'user', name: s.email },
    });
    expect(one('auth:login')).toMatchObject({ decision: 'allow', actor: { id: s.user.id } });
    expect(one('tokens:create')).toMatchObject({ decision: 'allow', actor: { id: s.user.id } });
    expect(one('secrets:create')).toMatchObject({
      actor: { type: 'user', id: s.user.id, label: s.email },
      resource: { kind: 'secret', name: 'audited-secret' },
      decision: 'allow',
      requestId: secret.headers.get('x-request-id'),
      ip: expect.stringContaining('127.0.0.1'),
      userAgent: UA,
      operationId: secret.body.operation?.id ?? expect.any(String),
    });
    expect(one('secrets:create_succeeded')).toMatchObject({
      actor: { type: 'system', id: null },
      resource: { kind: 'secret', name: 'audited-secret' },
      operationId: one('secrets:create').operationId,
    });
    expect(one('auth:signup').operationId).toBeUndefined();

    // Exactly one event (the company's first written) starts the chain; each other links to one of them.
    expect(items.filter((e) => e.prevHash === '0'.repeat(64))).toHaveLength(1);
    const hashes = new Set(items.map((e) => e.hash));
    expect(items.filter((e) => !hashes.has(e.prevHash))).toHaveLength(1);

    const everywhere = JSON.stringify([
      items,
      await t.dataSource.query('SELECT * FROM audit_events'),
      await t.dataSource.query('SELECT * FROM audit_outbox'),
    ]);
    expect(everywhere).not.toContain(canary);
    expect(everywhere).not.toContain(s.password);
    expect(everywhere).not.toContain(token.body.token);
  });

  it('filters by action, actor, secret, decision and time, newest first, with cursor pagination', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const nobody = await powerlessUser(t, admin);
    for (const name of ['alpha', 'beta'])
      expect([201, 202]).toContain((await admin.post('/api/v1/secrets', { name, value: `v-${name}` })).status);
    expect((await nobody.client.get('/api/v1/users')).status).toBe(403);
    // Sessions last 12 h on the test clock; an hour apart is enough to tell events apart.
    t.clock.advance(3600_000);
    const hourLater = t.clock.now();
    expect((await new ApiClient(t.url).login(s.email, s.password)).status).toBe(200);
    const loggedIn = new Date(t.clock.now().getTime() + 1);
    t.clock.advance(3600_000);
    expect((await new ApiClient(t.url).login(s.email, s.password)).status).toBe(200);

    const all = await auditUntil(
      admin,
      '?limit=200',
      (items) =>
        items.filter((e) => e.action === 'auth:login').length >= 3 &&
        items.filter((e) => e.action === 'secrets:create_succeeded').length === 2,
    );
    const keys = all.map((e) => [e.at, e.id]);
    const sorted = [...all].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    expect(all.map((e) => e.at)).toEqual(sorted.map((e) => e.at));

    const q = async (query: string) => {
      const res = await admin.get(`/api/v1/audit?limit=200&${query}`);
      expect(res.status).toBe(200);
      return res.body.items as AuditEvent[];
    };
    const creates = await q('action=secrets:create');
    expect(creates.map((e) => e.resource.name).sort()).toEqual(['alpha', 'beta']);
    const alpha = await q('secret=alpha');
    expect(alpha.map((e) => e.action).sort()).toEqual(['secrets:create', 'secrets:create_succeeded']);
    expect(alpha.every((e) => e.resource.kind === 'secret' && e.resource.name === 'alpha')).toBe(true);
    for (const actor of [nobody.id, nobody.email]) {
      const byNobody = await q(`actor=${encodeURIComponent(actor)}`);
      expect(byNobody.length).toBeGreaterThan(0);
      expect(byNobody.every((e) => e.actor.id === nobody.id)).toBe(true);
    }
    const denied = await q('decision=deny');
    expect(denied.map((e) => e.action)).toContain('users:read');
    expect(denied.every((e) => e.decision === 'deny')).toBe(true);
    const window = await q(`action=auth:login&from=${hourLater.toISOString()}&to=${loggedIn.toISOString()}`);
    expect(window).toHaveLength(1);
    // `from` is inclusive, `to` exclusive.
    const at = new Date(window[0]!.at);
    expect(await q(`action=auth:login&from=${at.toISOString()}&to=${at.toISOString()}`)).toHaveLength(0);
    expect(
      await q(`action=auth:login&from=${at.toISOString()}&to=${new Date(at.getTime() + 1).toISOString()}`),
    ).toHaveLength(1);

    // Walking the pages gives the same events in the same order, each once.
    const paged: AuditEvent[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { items: AuditEvent[]; nextCursor: string | null } } = await admin.get(
        `/api/v1/audit?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      paged.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(paged.map((e) => [e.at, e.id])).toEqual(keys);
  });

  it('answers bad query parameters with 400 naming the parameter', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const cases: Array<[string, string]> = [
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url')}`, 'cursor'],
      ['decision=maybe', 'decision'],
      ['from=yesterday', 'from'],
      ['to=2024-13-01T00:00:00Z', 'to'],
      ['from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z', 'to'],
      ['action=', 'action'],
    ];
    for (const [query, path] of cases) {
      const res = await admin.get(`/api/v1/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        query,
      ).toContain(path);
    }
  });

  it('needs a session or token, and audit:read', async () => {
    expect((await new ApiClient(t.url).get('/api/v1/audit')).status).toBe(401);
    expect((await new ApiClient(t.url).get('/api/v1/audit/verify')).status).toBe(401);
    const admin = new ApiClient(t.url);
    await admin.signup();
    const nobody = await powerlessUser(t, admin);
    for (const path of ['/api/v1/audit', '/api/v1/audit/verify']) {
      const res = await nobody.client.get(path);
      expect(res.status).toBe(403);
      expect(res.body.detail).toContain('audit:read');
    }
  });

  it('collapses repeats of the same denied request into one event with a count', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const nobody = await powerlessUser(t, admin);
    for (let i = 0; i < 6; i++) expect((await nobody.client.get('/api/v1/users')).status).toBe(403);
    // A different action is a different denial.
    expect((await nobody.client.get('/api/v1/tokens')).status).toBe(403);
    // The first denial is recorded at once; the summary of the repeats when the window closes.
    const first = await auditUntil(admin, `?decision=deny&actor=${nobody.id}`, (items) => items.length === 2);
    expect(first.map((e) => e.count)).toEqual([1, 1]);
    await t.composed.audit.flush();
    const denials = await auditUntil(admin, `?action=users:read&actor=${nobody.id}`, (items) => items.length === 2);
    expect(denials.map((e) => e.count).sort()).toEqual([1, 5]);
    expect(denials.every((e) => e.decision === 'deny' && e.reason === 'implicit_deny')).toBe(true);
  });

  it('collapses repeated metadata reads of one secret by one caller into one counted event', async () => {
    const admin = new ApiClient(t.url);
    await admin.signup();
    const name = uniq('polled');
    await admin.post('/api/v1/secrets', { name, value: 'polled-canary-value' });
    for (let i = 0; i < 4; i++) expect((await admin.get(`/api/v1/secrets/${name}`)).status).toBe(200);
    const first = await auditUntil(admin, `?action=secrets:read&secret=${name}`, (items) => items.length === 1);
    expect(first[0]).toMatchObject({ decision: 'allow', count: 1 });
    await t.composed.audit.flush();
    const reads = await auditUntil(admin, `?action=secrets:read&secret=${name}`, (items) => items.length === 2);
    expect(reads.map((e) => e.count).sort()).toEqual([1, 3]);
  });

  it('verifies an intact chain, and names the event whose row was changed in the database', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    for (let i = 0; i < 4; i++) await new ApiClient(t.url).login(s.email, s.password);
    const items = await auditUntil(admin, '?limit=200', (e) => e.filter((x) => x.action === 'auth:login').length === 4);
    const ok = await admin.get('/api/v1/audit/verify');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, checked: expect.any(Number), firstBadEventId: null });
    expect(ok.body.checked).toBeGreaterThanOrEqual(items.length);

    const victim = items.filter((e) => e.action === 'auth:login')[1]!;
    await t.dataSource.query(`UPDATE audit_events SET ip = '203.0.113.9' WHERE id = $1`, [victim.id]);
    const bad = await admin.get('/api/v1/audit/verify');
    expect(bad.body).toMatchObject({ ok: false, firstBadEventId: victim.id });

    // Another company's chain is its own, and unaffected.
    const other = new ApiClient(t.url);
    await other.signup();
    await auditUntil(other, '', (e) => e.length > 0);
    expect((await other.get('/api/v1/audit/verify')).body).toMatchObject({ ok: true, firstBadEventId: null });
  });

  it('chains value reads whose write carried no wake-up, and outbox rows whose wake-up was lost, on the drain schedule', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const name = uniq('woken');
    await admin.post('/api/v1/secrets', { name, value: 'wake-canary' });
    const runner = ApiClient.withToken(
      t.url,
      (await admin.post('/api/v1/tokens', { name: uniq('runner'), roles: ['Runner'] })).body.token as string,
    );
    const w = await admin.post('/api/v1/workflows', { name: uniq('w'), phases: [{ name: 'p', env: { S: `secret:${name}` } }] });
    const run = (await runner.post(`/api/v1/workflows/${w.body.workflow.id}/runs`)).body.run.id as string;
    await auditUntil(admin, '?action=workflows:run', (xs) => xs.length === 1);
    // Back to back: only the first of these writes notifies the drainers (one per interval).
    for (let i = 0; i < 5; i++) expect((await runner.post(`/api/v1/runs/${run}/phases/p/env`)).status).toBe(200);
    // And a row committed with no NOTIFY at all, as if the wake-up had been lost.
    const lost = toAuditPayload({
      companyId: s.company.id,
      actor: { type: 'system', id: null, label: 'test' },
      action: 'test:lost-wake-up',
      resource: { kind: 'secret', name },
      decision: 'allow',
      reason: 'no notify',
      context: { requestId: 'lost-1', ip: null, userAgent: null },
      at: new Date(),
    });
    await t.dataSource.query(`INSERT INTO audit_outbox (company_id, idempotency_key, event) VALUES ($1, $2, $3)`, [
      s.company.id,
      lost.idempotencyKey,
      JSON.stringify(lost),
    ]);
    await auditUntil(admin, '?action=secrets:read_value', (xs) => xs.length === 5);
    await auditUntil(admin, '?action=test:lost-wake-up', (xs) => xs.length === 1);
    expect(await t.dataSource.query(`SELECT id FROM audit_outbox WHERE company_id = $1`, [s.company.id])).toEqual([]);
  });

  it('writes a retried job, or an event both queued and in the outbox, exactly once', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    await auditUntil(admin, '', hasActions('auth:signup'));
    const event = toAuditPayload({
      companyId: s.company.id,
      actor: { type: 'system', id: null, label: 'test' },
      action: 'test:retried',
      resource: { kind: 'secret', name: 'retried' },
      decision: 'allow',
      reason: 'retry',
      context: { requestId: 'retry-1', ip: null, userAgent: null },
      at: new Date(),
    });
    const connection = redisConnection('redis://127.0.0.1:6379', 'worker');
    const queue = createQueue(QueueName.Audit, { connection, prefix: t.queuePrefix });
    try {
      await enqueue(queue, { kind: 'event', event }, { jobId: event.idempotencyKey });
      // The same event again under other job ids, as after a lost completion or a removed job.
      await enqueue(queue, { kind: 'event', event }, { jobId: `${event.idempotencyKey}-again` });
      await enqueue(queue, { kind: 'event', event }, { jobId: `${event.idempotencyKey}-third` });
      await t.dataSource.query(`INSERT INTO audit_outbox (company_id, idempotency_key, event) VALUES ($1, $2, $3)`, [
        s.company.id,
        event.idempotencyKey,
        JSON.stringify(event),
      ]);
      await t.dataSource.query(`SELECT pg_notify($1, '')`, [AUDIT_OUTBOX_CHANNEL]);
      const jobIds = [event.idempotencyKey, `${event.idempotencyKey}-again`, `${event.idempotencyKey}-third`];
      await vi.waitFor(
        async () => {
          expect(await Promise.all(jobIds.map((id) => queue.getJobState(id)))).toEqual([
            'completed',
            'completed',
            'completed',
          ]);
          expect(await t.dataSource.query(`SELECT id FROM audit_outbox WHERE company_id = $1`, [s.company.id])).toEqual(
            [],
          );
        },
        { timeout: 15_000, interval: 100 },
      );
      const rows = await t.dataSource.query(`SELECT id FROM audit_events WHERE idempotency_key = $1`, [
        event.idempotencyKey,
      ]);
      expect(rows).toHaveLength(1);
      expect((await admin.get('/api/v1/audit/verify')).body).toMatchObject({ ok: true });
    } finally {
      await queue.close();
      connection.disconnect();
    }
  });

  it('keeps the chain linear while two workers drain and write at once, and verifies it chunk by chunk', async () => {
    const admin = new ApiClient(t.url);
    const s = await admin.signup();
    const second = await t.startWorker();
    const backlog = Array.from({ length: 1200 }, (_, i) =>
      toAuditPayload({
        companyId: s.company.id,
        actor: { type: 'system', id: null, label: 'backlog' },
        action: 'test:backlog',
        resource: { kind: 'secret', name: `b-${i}` },
        decision: 'allow',
        reason: 'load',
        context: { requestId: `b-${i}`, ip: null, userAgent: null },
        at: new Date(Date.UTC(2024, 0, 1, 0, 0, 0, i)),
      }),
    );
    await t.dataSource.query(
      `INSERT INTO audit_outbox (company_id, idempotency_key, event)
       SELECT (e->>'companyId')::uuid, e->>'idempotencyKey', e FROM jsonb_array_elements($1::jsonb) AS e`,
      [JSON.stringify(backlog)],
    );
    await Promise.all([
      t.worker!.composed.auditWorker.drainer.run(),
      second.composed.auditWorker.drainer.run(),
      // Meanwhile requests record events through the queue (logins, under the login rate limit)
      // and through the outbox in their own transactions (token creation).
      ...Array.from({ length: 8 }, () => new ApiClient(t.url).login(s.email, s.password)),
      ...Array.from({ length: 12 }, (_, i) =>
        admin.post('/api/v1/tokens', { name: `concurrent-${i}`, roles: [], groups: [] }),
      ),
    ]);
    const expected = 1200 + 1 + 8 + 12; // backlog, signup, logins, tokens
    const verify = await vi.waitFor(
      async () => {
        const res = await admin.get('/api/v1/audit/verify');
        expect(res.body.checked).toBe(expected);
        return res.body;
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(verify).toMatchObject({ ok: true, firstBadEventId: null });
    const seqs: Array<{ seq: string }> = await t.dataSource.query(
      `SELECT seq FROM audit_events WHERE company_id = $1 ORDER BY seq`,
      [s.company.id],
    );
    expect(seqs.map((r) => Number(r.seq))).toEqual(seqs.map((_, i) => i + 1));
    expect(seqs).toHaveLength(verify.checked);
  });
});

describe('the audit log when Redis is unreachable for the API', () => {
  it('still records every event, through the Postgres outbox, without slowing requests down', async () => {
    const proxy = await startTcpProxy('127.0.0.1', 6379);
    const t = await startTestApi(
      { REDIS_URL: `redis://127.0.0.1:${proxy.port}` },
      { workerRedisUrl: 'redis://127.0.0.1:6379' },
    );
    try {
      const admin = new ApiClient(t.url);
      const s = await admin.signup();
      proxy.pause();
      const started = Date.now();
      expect((await new ApiClient(t.url).login(s.email, 'wrong password!!')).status).toBe(401);
      expect((await new ApiClient(t.url).login(s.email, s.password)).status).toBe(200);
      const token = await admin.post('/api/v1/tokens', { name: 'while-redis-down', roles: [], groups: [] });
      expect(token.status).toBe(201);
      expect(Date.now() - started).toBeLessThan(3000);

      const items = await auditUntil(
        admin,
        '?limit=200',
        hasActions('auth:signup', 'auth:login_failed', 'auth:login', 'tokens:create'),
      );
      expect(items.find((e) => e.action === 'auth:login_failed')).toMatchObject({
        decision: 'deny',
        actor: { id: s.user.id },
      });
      expect(t.logs.join('')).toContain('audit event written to the outbox');
      expect((await admin.get('/api/v1/audit/verify')).body).toMatchObject({ ok: true });
    } finally {
      await t.close();
      await proxy.close();
    }
  });
});
