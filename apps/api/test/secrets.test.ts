import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
let admin: ApiClient;
beforeAll(async () => {
  t = await startTestApi();
  admin = new ApiClient(t.url);
  await admin.signup();
});
afterAll(async () => t?.close());

const uniq = (p: string) => `${p}-${Math.random().toString(36).slice(2, 8)}`;

const waitForOperation = async (c: ApiClient, id: string, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const op = await c.get(`/api/v1/operations/${id}`);
    if (op.body.status === 'succeeded' || op.body.status === 'failed') return op.body;
    if (Date.now() > end) throw new Error(`operation ${id} still ${op.body.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('secret lifecycle on the local store', () => {
  it('creates a secret end to end: 201 with the secret and its succeeded operation, never the value', async () => {
    const name = uniq('github-api-token');
    const res = await admin.post('/api/v1/secrets', {
      name,
      value: 'ghp_local-canary-1',
      type: 'api_key',
      description: 'CI token',
      tags: { environment: 'production', service: 'github' },
    });
    expect(res.status).toBe(201);
    expect(res.body.secret).toMatchObject({
      name,
      type: 'api_key',
      description: 'CI token',
      tags: { environment: 'production', service: 'github' },
      status: 'active',
      version: 1,
      boundResources: [],
      reminder: null,
    });
    expect(res.body.secret.path).toMatch(new RegExp(`^nembl/[0-9a-f-]{36}/${name}$`));
    expect(res.body.secret.owners).toHaveLength(1);
    expect(res.body.secret.lastRotatedAt).toEqual(expect.any(String));
    expect(res.body.operation).toMatchObject({ kind: 'create', secretName: name, status: 'succeeded' });
    expect(res.text).not.toContain('ghp_local-canary-1');
    expect(JSON.stringify(res.body)).not.toMatch(/"value"/);

    const got = await admin.get(`/api/v1/secrets/${name}`);
    expect(got.status).toBe(200);
    expect(got.body.versions).toEqual([{ version: 1, createdAt: expect.any(String), createdBy: expect.objectContaining({ name: expect.any(String) }) }]);
    const stored = await t.worker!.composed.store.getValue({ companyId: res.body.secret.path.split('/')[1], name });
    expect(stored.value).toBe('ghp_local-canary-1');
  });

  it('rotates a value: a new version, lastRotatedAt moves, the store serves the new value', async () => {
    const name = uniq('deploy');
    const created = await admin.post('/api/v1/secrets', { name, value: 'v1' });
    const rotated = await admin.put(`/api/v1/secrets/${name}/value`, { value: 'v2' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatchObject({ version: 2, status: 'active' });
    expect(rotated.body.operation).toMatchObject({ kind: 'update_value', status: 'succeeded' });
    expect(new Date(rotated.body.secret.lastRotatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.body.secret.lastRotatedAt).getTime());
    const detail = await admin.get(`/api/v1/secrets/${name}`);
    expect(detail.body.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
    const companyId = created.body.secret.path.split('/')[1];
    expect((await t.worker!.composed.store.getValue({ companyId, name })).value).toBe('v2');
  });

  it('refuses a duplicate name with 409', async () => {
    const name = uniq('dup');
    expect((await admin.post('/api/v1/secrets', { name, value: 'x' })).status).toBe(201);
    const again = await admin.post('/api/v1/secrets', { name, value: 'y' });
    expect(again.status).toBe(409);
    expect(again.body.errors[0].path).toBe('name');
  });

  it('deletes only after review: 409 with boundResources, 409 on a wrong confirm, then a permanent delete that frees the name', async () => {
    const name = uniq('old-key');
    await admin.post('/api/v1/secrets', { name, value: 'first life' });
    const review = await admin.delete(`/api/v1/secrets/${name}`);
    expect(review.status).toBe(409);
    expect(review.body.boundResources).toEqual([]);
    expect(review.body.type).toBe('/problems/conflict');
    expect((await admin.delete(`/api/v1/secrets/${name}`, { confirm: 'not-it' })).status).toBe(409);
    const del = await admin.delete(`/api/v1/secrets/${name}?confirm=${name}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ operation: expect.objectContaining({ kind: 'delete', status: 'succeeded' }) });
    expect((await admin.get(`/api/v1/secrets/${name}`)).status).toBe(404);
    const companyId = (await admin.get('/api/v1/me')).body.company.id;
    await expect(t.worker!.composed.store.getValue({ companyId, name })).rejects.toMatchObject({ code: 'NotFound' });
    const again = await admin.post('/api/v1/secrets', { name, value: 'second life' });
    expect(again.status).toBe(201);
    expect(again.body.secret.version).toBe(1);
    expect((await t.worker!.composed.store.getValue({ companyId, name })).value).toBe('second life');
  });

  it('deletes with confirm in the body too', async () => {
    const name = uniq('body-confirm');
    await admin.post('/api/v1/secrets', { name, value: 'x' });
    expect((await admin.delete(`/api/v1/secrets/${name}`, { confirm: name })).status).toBe(200);
  });

  it('patches metadata synchronously; tags replace the whole set', async () => {
    const name = uniq('meta');
    await admin.post('/api/v1/secrets', { name, value: 'x', tags: { a: '1', b: '2' } });
    const res = await admin.patch(`/api/v1/secrets/${name}`, { description: 'now described', tags: { c: '3' }, type: 'password' });
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatchObject({ description: 'now described', tags: { c: '3' }, type: 'password', version: 1 });
    const bad = await admin.patch(`/api/v1/secrets/${name}`, { tags: { 'aws-x': '1' } });
    expect(bad.status).toBe(400);
    expect((await admin.get(`/api/v1/secrets/${name}`)).body.secret.tags).toEqual({ c: '3' });
    expect((await admin.patch(`/api/v1/secrets/${name}`, { value: 'sneaky' })).status).toBe(400);
  });

  it('sets owners to company users only', async () => {
    const name = uniq('owned');
    const other = new ApiClient(t.url);
    const o = await other.signup();
    const bad = await admin.post('/api/v1/secrets', { name, value: 'x', owners: [o.user.id] });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('owners[0]');
    expect((await admin.get(`/api/v1/secrets/${name}`)).status).toBe(404);
  });

  const newUser = async (prefix: string): Promise<string> => {
    const res = await admin.post('/api/v1/users', { email: `${uniq(prefix)}@example.com`, name: prefix, password: 'owner password 123', roles: [], groups: [] });
    expect(res.status).toBe(201);
    return res.body.user.id as string;
  };

  it('takes owner ids in any letter case, as Postgres compares them, on create and on change', async () => {
    const id = await newUser('casey');
    const name = uniq('cased');
    const created = await admin.post('/api/v1/secrets', { name, value: 'x', owners: [id.toUpperCase()] });
    expect(created.status).toBe(201);
    expect(created.body.secret.owners.map((o: { id: string }) => o.id)).toEqual([id]);
    const changed = await admin.patch(`/api/v1/secrets/${name}`, { owners: [id.toUpperCase(), id] });
    expect(changed.status).toBe(200);
    expect(changed.body.secret.owners.map((o: { id: string }) => o.id)).toEqual([id]);
    // A taken name is still a 409 on the name, whatever the case of the owner ids.
    const again = await admin.post('/api/v1/secrets', { name, value: 'x', owners: [id.toUpperCase()] });
    expect(again.status).toBe(409);
  });

  it('answers each of a burst of creates for itself, though they share statements: its own owners and audit event, one winner per name', async () => {
    const [ann, bob] = [await newUser('ann'), await newUser('bob')];
    const distinct = Array.from({ length: 16 }, (_, i) => ({
      name: uniq(`burst-${i}`),
      value: `burst value ${i}`,
      description: `number ${i}`,
      owners: i % 2 === 0 ? [ann] : [bob, ann],
    }));
    const contested = uniq('contested');
    const answers = await Promise.all([
      ...distinct.map((body) => admin.post('/api/v1/secrets', body)),
      ...[0, 1, 2].map(() => admin.post('/api/v1/secrets', { name: contested, value: 'x' })),
    ]);
    distinct.forEach((body, i) => {
      const res = answers[i]!;
      expect(res.status).toBe(201);
      expect(res.body.secret).toMatchObject({ name: body.name, description: body.description, status: 'active', version: 1 });
      expect(res.body.secret.owners.map((o: { id: string }) => o.id).sort()).toEqual([...body.owners].sort());
      expect(res.body.operation.secretName).toBe(body.name);
    });
    expect(answers.slice(distinct.length).map((r) => r.status).sort()).toEqual([201, 409, 409]);
    // Each accepted create's own event, naming its own secret and operation (outbox or chained log).
    const operationIds = answers.filter((r) => r.status === 201).map((r) => r.body.operation.id as string);
    const events: Array<{ operation_id: string; name: string }> = await t.dataSource.query(
      `SELECT event->>'operationId' AS operation_id, event->'resource'->>'name' AS name FROM audit_outbox
        WHERE event->>'action' = 'secrets:create' AND event->>'operationId' = ANY($1)
       UNION ALL
       SELECT operation_id::text, resource_name FROM audit_events WHERE action = 'secrets:create' AND operation_id::text = ANY($1)`,
      [operationIds],
    );
    expect(events.map((e) => e.operation_id).sort()).toEqual([...operationIds].sort());
    for (const r of answers.filter((a) => a.status === 201))
      expect(events.find((e) => e.operation_id === r.body.operation.id)?.name).toBe(r.body.secret.name);
  });

  it('answers 400 naming the owner, not 500, when that user is deleted while the secret is written', async () => {
    // A trigger deletes the owner just before its secret_owners row goes in: the foreign-key
    // failure a concurrent DELETE /users/{id} between the owner check and the write causes, made
    // deterministic. (The failed statement takes the trigger's delete back with it, so the user
    // still exists when the API looks again; after a real delete it names owners[i].)
    await t.dataSource.query(`CREATE OR REPLACE FUNCTION test_owner_vanishes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN DELETE FROM users WHERE id = NEW.user_id AND name = 'vanishing'; RETURN NEW; END $$`);
    await t.dataSource.query(`CREATE TRIGGER test_owner_vanishes BEFORE INSERT ON secret_owners FOR EACH ROW EXECUTE FUNCTION test_owner_vanishes()`);
    try {
      const keep = await newUser('keeper');
      const onCreate = await newUser('vanishing');
      const name = uniq('orphan');
      const created = await admin.post('/api/v1/secrets', { name, value: 'x', owners: [keep, onCreate] });
      expect(created.status).toBe(400);
      expect(created.headers.get('content-type')).toMatch(/problem\+json/);
      expect(created.body.errors).toEqual([{ path: 'owners', message: 'a user was removed meanwhile' }]);
      expect((await admin.get(`/api/v1/secrets/${name}`)).status).toBe(404);

      const existing = uniq('kept');
      expect((await admin.post('/api/v1/secrets', { name: existing, value: 'x', owners: [keep] })).status).toBe(201);
      const onChange = await newUser('vanishing');
      const changed = await admin.patch(`/api/v1/secrets/${existing}`, { description: 'changed', owners: [onChange] });
      expect(changed.status).toBe(400);
      expect(changed.body.errors).toEqual([{ path: 'owners', message: 'a user was removed meanwhile' }]);
      const after = (await admin.get(`/api/v1/secrets/${existing}`)).body.secret;
      expect(after.description).toBe('');
      expect(after.owners.map((o: { id: string }) => o.id)).toEqual([keep]);
    } finally {
      await t.dataSource.query('DROP TRIGGER IF EXISTS test_owner_vanishes ON secret_owners');
    }
  });

  it('answers 404 for a missing secret and for another company’s secret', async () => {
    const other = new ApiClient(t.url);
    await other.signup();
    const name = uniq('theirs');
    expect((await other.post('/api/v1/secrets', { name, value: 'x' })).status).toBe(201);
    for (const res of [
      await admin.get(`/api/v1/secrets/${name}`),
      await admin.put(`/api/v1/secrets/${name}/value`, { value: 'y' }),
      await admin.patch(`/api/v1/secrets/${name}`, { description: 'y' }),
      await admin.delete(`/api/v1/secrets/${name}?confirm=${name}`),
      await admin.get(`/api/v1/secrets/${name}/bindings`),
    ]) {
      expect(res.status).toBe(404);
    }
    const list = await admin.get(`/api/v1/secrets?q=${name}`);
    expect(list.body.items).toEqual([]);
  });
});

describe('listing', () => {
  it('filters by q, tags (AND) and type, sorted by name, paginated with a cursor', async () => {
    const c = new ApiClient(t.url);
    await c.signup();
    const mk = (name: string, type: string, tags: Record<string, string>, description = '') =>
      c.post('/api/v1/secrets', { name, value: 'x', type, tags, description });
    await mk('alpha', 'api_key', { env: 'prod', team: 'core' });
    await mk('bravo', 'password', { env: 'prod', team: 'web' });
    await mk('charlie', 'api_key', { env: 'dev', team: 'core' }, 'mentions ALPHA here');
    await mk('delta', 'custom', {});
    const names = async (q: string) => (await c.get(`/api/v1/secrets${q}`)).body.items.map((s: { name: string }) => s.name);
    expect(await names('')).toEqual(['alpha', 'bravo', 'charlie', 'delta']);
    expect(await names('?q=alpha')).toEqual(['alpha', 'charlie']);
    expect(await names('?tag=env:prod')).toEqual(['alpha', 'bravo']);
    expect(await names('?tag=env:prod&tag=team:core')).toEqual(['alpha']);
    expect(await names('?type=api_key')).toEqual(['alpha', 'charlie']);
    expect(await names('?q=%25')).toEqual([]);

    const p1 = await c.get('/api/v1/secrets?limit=3');
    expect(p1.body.items.map((s: { name: string }) => s.name)).toEqual(['alpha', 'bravo', 'charlie']);
    const p2 = await c.get(`/api/v1/secrets?limit=3&cursor=${p1.body.nextCursor}`);
    expect(p2.body.items.map((s: { name: string }) => s.name)).toEqual(['delta']);
    expect(p2.body.nextCursor).toBeNull();
  });

  it.each([
    ['tag=noseparator', 'tag'],
    ['type=secretish', 'type'],
    ['due=tomorrow', 'due'],
    ['limit=500', 'limit'],
    ['cursor=abc', 'cursor'],
  ])('rejects ?%s with 400 naming the parameter', async (q, path) => {
    const res = await admin.get(`/api/v1/secrets?${q}`);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});

describe('bad input on create stores nothing', () => {
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['an uppercase name', { name: 'GitHub', value: 'x' }, 'name'],
    ['a name with a space', { name: 'a b', value: 'x' }, 'name'],
    ['a leading hyphen', { name: '-a', value: 'x' }, 'name'],
    ['a trailing hyphen', { name: 'a-', value: 'x' }, 'name'],
    ['a double hyphen', { name: 'a--b', value: 'x' }, 'name'],
    ['an underscore', { name: 'a_b', value: 'x' }, 'name'],
    ['a dot', { name: 'a.b', value: 'x' }, 'name'],
    ['a 129-character name', { name: 'a'.repeat(129), value: 'x' }, 'name'],
    ['a unicode name', { name: 'café', value: 'x' }, 'name'],
    ['an empty name', { name: '', value: 'x' }, 'name'],
    ['an empty value', { name: 'ok-name', value: '' }, 'value'],
    ['a value over 65,536 bytes', { name: 'ok-name', value: 'x'.repeat(65_537) }, 'value'],
    ['a multi-byte value over 65,536 bytes', { name: 'ok-name', value: '€'.repeat(21_846) }, 'value'],
    ['51 tags', { name: 'ok-name', value: 'x', tags: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }, 'tags'],
    ['a tag key starting with aws', { name: 'ok-name', value: 'x', tags: { awsregion: 'x' } }, 'tags.awsregion'],
    ['a tag key with a colon', { name: 'ok-name', value: 'x', tags: { 'env:x': 'x' } }, 'tags.env:x'],
    ['a number as value', { name: 'ok-name', value: 42 }, 'value'],
    ['an unknown type', { name: 'ok-name', value: 'x', type: 'ssh_key' }, 'type'],
    ['an unknown field', { name: 'ok-name', value: 'x', rotation: 'daily' }, 'rotation'],
    ['a description over 2048 characters', { name: 'ok-name', value: 'x', description: 'd'.repeat(2049) }, 'description'],
    ['a reminder of 0 days', { name: 'ok-name', value: 'x', reminder: { intervalDays: 0 } }, 'reminder.intervalDays'],
  ];
  it.each(bad)('rejects %s with 400 naming the field', async (_n, body, path) => {
    const res = await admin.post('/api/v1/secrets', body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(res.text).not.toContain('x'.repeat(100));
  });

  it('accepts exactly 65,536 bytes of multi-byte characters', async () => {
    const res = await admin.post('/api/v1/secrets', { name: uniq('big'), value: '€'.repeat(21_845) + 'x' });
    expect(res.status).toBe(201);
  });

  it('left nothing behind for the rejected names', async () => {
    expect((await admin.get('/api/v1/secrets/ok-name')).status).toBe(404);
  });
});

describe('the 202 path', () => {
  it('answers 202 with Location when the wait window is zero, and the operation completes', async () => {
    const quick = await startTestApi({ NEMBL_WRITE_WAIT_MS: '0' });
    try {
      const c = new ApiClient(quick.url);
      await c.signup();
      const res = await c.post('/api/v1/secrets', { name: 'async-secret', value: 'x' });
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toBe(`/api/v1/operations/${res.body.operation.id}`);
      expect(res.body.secret.status).toBe('pending');
      const op = await waitForOperation(c, res.body.operation.id);
      expect(op).toMatchObject({ status: 'succeeded', kind: 'create', finishedAt: expect.any(String) });
      expect((await c.get('/api/v1/secrets/async-secret')).body.secret.status).toBe('active');
    } finally {
      await quick.close();
    }
  });

  it('applies rapid updates in acceptance order: the last accepted value wins', async () => {
    const quick = await startTestApi({ NEMBL_WRITE_WAIT_MS: '0' });
    try {
      const c = new ApiClient(quick.url);
      const s = await c.signup();
      const first = await c.post('/api/v1/secrets', { name: 'ordered', value: 'v0' });
      const ops = [first.body.operation.id];
      for (let i = 1; i <= 8; i++) {
        const r = await c.put('/api/v1/secrets/ordered/value', { value: `v${i}` });
        if (r.status === 409) {
          // still pending: the create has not finished yet; wait and retry this one
          await waitForOperation(c, first.body.operation.id);
          i--;
          continue;
        }
        // 202, or 200 when the worker finished during the enqueue (the outcome is then already known).
        expect([200, 202]).toContain(r.status);
        ops.push(r.body.operation.id);
      }
      for (const id of ops) expect((await waitForOperation(c, id)).status).toBe('succeeded');
      const detail = await c.get('/api/v1/secrets/ordered');
      expect(detail.body.secret.version).toBe(9);
      expect(detail.body.versions.map((v: { version: number }) => v.version)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
      expect((await quick.worker!.composed.store.getValue({ companyId: s.company.id, name: 'ordered' })).value).toBe('v8');
    } finally {
      await quick.close();
    }
  });

  it('refuses writes to a pending secret with 409 while its create is in flight', async () => {
    const idle = await startTestApi({ NEMBL_WRITE_WAIT_MS: '0' }, { worker: false });
    try {
      const c = new ApiClient(idle.url);
      await c.signup();
      const res = await c.post('/api/v1/secrets', { name: 'in-flight', value: 'x' });
      expect(res.status).toBe(202);
      expect((await c.put('/api/v1/secrets/in-flight/value', { value: 'y' })).status).toBe(409);
      expect((await c.delete('/api/v1/secrets/in-flight?confirm=in-flight')).status).toBe(409);
      expect((await c.patch('/api/v1/secrets/in-flight', { description: 'y' })).status).toBe(409);
      expect((await c.post('/api/v1/secrets', { name: 'in-flight', value: 'x' })).status).toBe(409);
      // A worker that starts later picks the job up.
      await idle.startWorker();
      expect((await waitForOperation(c, res.body.operation.id)).status).toBe('succeeded');
    } finally {
      await idle.close();
    }
  });

  it('hides operations of another company (404)', async () => {
    const c = new ApiClient(t.url);
    await c.signup();
    const res = await c.post('/api/v1/secrets', { name: uniq('op'), value: 'x' });
    expect((await admin.get(`/api/v1/operations/${res.body.operation.id}`)).status).toBe(404);
    expect((await c.get(`/api/v1/operations/${res.body.operation.id}`)).status).toBe(200);
  });
});
