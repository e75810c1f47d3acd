import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { secretNameCursor } from '../src/http/pagination.js';
import { listPageKey } from '../src/secrets/secret-list-cache.js';
import { ApiClient, startSecondApi, startSlowProxy, startTestApi, type TestApi } from './harness.js';

// Two API processes on one database and Redis (secret details, runs, then secret lists). The second one hears the outcome and metadata
// announcements late (its subscription goes through a proxy that holds what Redis sends for a
// while), as a busy process on a loaded machine does. A write answered by the first must already
// show in the second's `GET /secrets/{name}` when the answer arrives, though the second caches
// secret details (and runs, for resolutions).
const SUBSCRIBER_DELAY_MS = 300;

let t: TestApi;
let proxy: Awaited<ReturnType<typeof startSlowProxy>>;
let second: {
  url: string;
  close: () => Promise<void>;
  cacheSize: () => number;
  cached: (name: string) => boolean;
  runCached: (runId: string) => boolean;
  listCacheSize: () => number;
  /** Whether the second process holds the batch a `?q=…&limit=…` page (after `after`) reads. */
  listCached: (company: string, q: string, limit: number, after?: string) => boolean;
};
let companyId: string;
let admin: ApiClient;
let token: string;
beforeAll(async () => {
  t = await startTestApi();
  proxy = await startSlowProxy(6379, SUBSCRIBER_DELAY_MS);
  const api2 = await startSecondApi(t, { subscriberRedisUrl: `redis://127.0.0.1:${proxy.port}` });
  const { composed } = api2;
  second = {
    url: api2.url,
    cacheSize: () => composed.detailCache.size(),
    cached: (name) => composed.detailCache.get(companyId, name, Date.now()) !== undefined,
    runCached: (runId) => composed.runCache.get(`${companyId}/${runId}`, t.clock.now().getTime()) !== undefined,
    listCacheSize: () => composed.listCache.size(),
    listCached: (company, q, limit, after) =>
      composed.listCache.get(listPageKey(company, { q, tags: [] }, after, limit + 1), Date.now()) !== undefined,
    close: async () => {
      await api2.close();
      await proxy.close();
    },
  };
  admin = new ApiClient(t.url);
  companyId = (await admin.signup()).company.id;
  token = (await admin.post('/api/v1/tokens', { name: 'reader', roles: ['Admin'] })).body.token;
  expect((await admin.post('/api/v1/secrets', { name: 'probe', value: 'v' })).status).toBe(201);
}, 30_000);
afterAll(async () => {
  await second?.close();
  await t?.close();
});

/** Reads the detail on the second process until it is cached there (earlier announcements may still drop it). */
const cachedOnSecond = async (name: string) => {
  const reader = ApiClient.withToken(second.url, token);
  await vi.waitFor(
    async () => {
      expect((await reader.get(`/api/v1/secrets/${name}`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, SUBSCRIBER_DELAY_MS + 100));
      expect(second.cached(name)).toBe(true);
    },
    { timeout: 10_000, interval: 50 },
  );
  return { reader };
};

describe('cached secret details across API processes', () => {
  it('a change answered by one process is in the other one’s detail as soon as the answer arrives', async () => {
    const name = `s-${randomBytes(3).toString('hex')}`;
    expect((await admin.post('/api/v1/secrets', { name, value: 'v1', description: 'before' })).status).toBe(201);
    const { reader } = await cachedOnSecond(name);

    // An API write (no operation): the description.
    expect((await admin.patch(`/api/v1/secrets/${name}`, { description: 'after' })).status).toBe(200);
    expect((await reader.get(`/api/v1/secrets/${name}`)).body.secret.description).toBe('after');

    // A write the worker finishes: a new version.
    await cachedOnSecond(name);
    expect((await admin.put(`/api/v1/secrets/${name}/value`, { value: 'v2' })).status).toBe(200);
    const rotated = (await reader.get(`/api/v1/secrets/${name}`)).body;
    expect(rotated.secret.version).toBe(2);
    expect(rotated.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    // An owner removed as a user.
    const user = (
      await admin.post('/api/v1/users', {
        email: `o-${randomBytes(3).toString('hex')}@example.com`,
        name: 'owner',
        password: 'a long enough password',
        roles: ['Viewer'],
        groups: [],
      })
    ).body.user;
    expect((await admin.patch(`/api/v1/secrets/${name}`, { owners: [user.id] })).status).toBe(200);
    expect((await reader.get(`/api/v1/secrets/${name}`)).body.secret.owners).toEqual([
      { id: user.id, email: user.email },
    ]);
    await cachedOnSecond(name);
    expect((await admin.delete(`/api/v1/users/${user.id}`)).status).toBe(204);
    expect((await reader.get(`/api/v1/secrets/${name}`)).body.secret.owners).toEqual([]);
  });

  it('serves nothing from the cache while its subscription is lost', async () => {
    const name = `s-${randomBytes(3).toString('hex')}`;
    expect((await admin.post('/api/v1/secrets', { name, value: 'v1', description: 'before' })).status).toBe(201);
    const { reader } = await cachedOnSecond(name);
    proxy.cut();
    try {
      // Unsubscribed, the second process reads Postgres and keeps nothing.
      await vi.waitFor(
        async () => {
          expect((await reader.get(`/api/v1/secrets/${name}`)).status).toBe(200);
          expect(second.cacheSize()).toBe(0);
        },
        { timeout: 5000, interval: 20 },
      );
      // Nobody else is subscribed but the writer: it answers at once, and the second reads Postgres.
      expect((await admin.patch(`/api/v1/secrets/${name}`, { description: 'after' })).status).toBe(200);
      expect((await reader.get(`/api/v1/secrets/${name}`)).body.secret.description).toBe('after');
      expect(second.cached(name)).toBe(false);
    } finally {
      proxy.restore();
    }
    await cachedOnSecond(name);
  });
});

/** Resolves on the second process until the run is cached there (earlier announcements may still drop it). */
const cachedOnSecondRun = async (runner: ApiClient, path: string, runId: string) =>
  vi.waitFor(
    async () => {
      expect((await runner.post(path)).status).toBe(200);
      await new Promise((r) => setTimeout(r, SUBSCRIBER_DELAY_MS + 100));
      expect(second.runCached(runId)).toBe(true);
    },
    { timeout: 10_000, interval: 50 },
  );

describe('cached runs across API processes', () => {
  /** A workflow over two fresh secrets, a run of it, and its phase resolved on the second process until it is cached there. */
  const cachedRunOnSecond = async () => {
    const suffix = randomBytes(3).toString('hex');
    const names = [`token-${suffix}`, `db-${suffix}`];
    for (const name of names)
      expect((await admin.post('/api/v1/secrets', { name, value: `${name}-v1` })).status).toBe(201);
    const runnerToken = (await admin.post('/api/v1/tokens', { name: `runner-${suffix}`, roles: ['Runner'] })).body;
    const env = { TOKEN: `secret:${names[0]}`, DB: `secret:${names[1]}` };
    const workflow = (await admin.post('/api/v1/workflows', { name: `w-${suffix}`, phases: [{ name: 'deploy', env }] }))
      .body.workflow;
    const runner = ApiClient.withToken(second.url, runnerToken.token);
    const run = (await runner.post(`/api/v1/workflows/${workflow.id}/runs`)).body.run;
    const path = `/api/v1/runs/${run.id}/phases/deploy/env`;
    await cachedOnSecondRun(runner, path, run.id);
    return { names, runner, path, run, tokenId: runnerToken.id as string };
  };

  it('a secret deleted or retagged into a denial on one process is refused by the other as soon as the answer arrives', async () => {
    const { names, runner, path, run } = await cachedRunOnSecond();
    const policy = await admin.post('/api/v1/policies', {
      name: `frozen-${run.id}`,
      statements: [
        {
          sid: 'deny-frozen',
          effect: 'deny',
          actions: ['secrets:read_value'],
          principals: '*',
          conditions: { StringEquals: { 'resource.tag/frozen': run.id } },
        },
      ],
    });
    expect(policy.status).toBe(201);
    // A policy change is in force on the other process when its answer arrives (the barrier).
    const check = { checks: [{ action: 'secrets:read_value', tags: { frozen: run.id } }] };
    expect((await runner.post('/api/v1/me/permissions', check)).body.results[0].allowed).toBe(false);
    await cachedOnSecondRun(runner, path, run.id);
    expect((await admin.patch(`/api/v1/secrets/${names[1]}`, { tags: { frozen: run.id } })).status).toBe(200);
    // The barrier dropped the run on the second process before the answer left.
    expect(second.runCached(run.id)).toBe(false);
    const denied = await runner.post(path);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ action: 'secrets:read_value', secret: names[1] });
    expect(denied.text).not.toContain(`${names[0]}-v1`);

    expect((await admin.patch(`/api/v1/secrets/${names[1]}`, { tags: {} })).status).toBe(200);
    await cachedOnSecondRun(runner, path, run.id);
    const deleted = await admin.delete(`/api/v1/secrets/${names[0]}?confirm=${names[0]}`);
    expect([200, 202]).toContain(deleted.status);
    const gone = await runner.post(path);
    expect(gone.status).toBe(422);
    expect(gone.body.detail).toContain(`${names[0]} was deleted`);
  });

  it('a runner token revoked on one process is refused by the other, its run cached there', async () => {
    const { runner, path, tokenId } = await cachedRunOnSecond();
    expect((await admin.delete(`/api/v1/tokens/${tokenId}`)).status).toBe(204);
    expect((await runner.post(path)).status).toBe(401);
  });

  it('caches no run while its subscription is lost, and resolves from Postgres meanwhile', async () => {
    const { runner, path, run } = await cachedRunOnSecond();
    proxy.cut();
    try {
      await vi.waitFor(
        async () => {
          expect((await runner.post(path)).status).toBe(200);
          expect(second.runCached(run.id)).toBe(false);
        },
        { timeout: 5000, interval: 20 },
      );
    } finally {
      proxy.restore();
    }
    await cachedOnSecondRun(runner, path, run.id);
  });
});

type ListItem = {
  id: string;
  name: string;
  path: string;
  description: string;
  version: number;
  tags: Record<string, string>;
};

/** A fresh name prefix, so a test's `?q=` list holds only its own secrets. */
const prefix = () => `l${randomBytes(3).toString('hex')}`;

/** Lists `?q=<q>` on the second process until that batch is cached there (as `cachedOnSecond`). */
const listCachedOnSecond = async (reader: ApiClient, company: string, q: string, limit = 50, cursor?: string) => {
  const path = `/api/v1/secrets?q=${q}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const after = secretNameCursor.decode(cursor);
  await vi.waitFor(
    async () => {
      expect((await reader.get(path)).status).toBe(200);
      await new Promise((r) => setTimeout(r, SUBSCRIBER_DELAY_MS + 100));
      expect(second.listCached(company, q, limit, after)).toBe(true);
    },
    { timeout: 10_000, interval: 50 },
  );
};

const listOn = async (client: ApiClient, q: string, extra = '') => {
  const res = await client.get(`/api/v1/secrets?q=${q}${extra}`);
  expect(res.status).toBe(200);
  return res.body as { items: ListItem[]; nextCursor: string | null };
};

/**
 * Secrets `<q>-a` and `<q>-b` tagged team a and b, and a token whose role a policy lets read team
 * a's only, reading on the second process; `allowTeams` rewrites that policy (answers its status).
 */
const teamReaders = async () => {
  const q = prefix();
  for (const team of ['a', 'b'])
    expect((await admin.post('/api/v1/secrets', { name: `${q}-${team}`, value: 'v', tags: { team } })).status).toBe(201);
  const role = `team-${q}`;
  const policy = (teams: string[]) => ({
    name: `readers-${q}`,
    statements: [
      {
        effect: 'allow',
        actions: ['secrets:read'],
        principals: { roles: [role] },
        conditions: { StringEquals: { 'resource.tag/team': teams } },
      },
    ],
  });
  const created = await admin.post('/api/v1/policies', policy(['a']));
  expect(created.status).toBe(201);
  const teamToken = (await admin.post('/api/v1/tokens', { name: `t-${q}`, roles: [role] })).body.token as string;
  const allowTeams = async (teams: string[]) =>
    (await admin.put(`/api/v1/policies/${created.body.policy.id}`, policy(teams))).status;
  return { q, teamToken, teamReader: ApiClient.withToken(second.url, teamToken), allowTeams };
};

describe('cached secret lists across API processes', () => {
  it('a change answered by one process is in the other one’s list as soon as the answer arrives', async () => {
    const q = prefix();
    for (const n of ['a', 'b'])
      expect((await admin.post('/api/v1/secrets', { name: `${q}-${n}`, value: 'v1' })).status).toBe(201);
    const reader = ApiClient.withToken(second.url, token);
    await listCachedOnSecond(reader, companyId, q);

    // An API write (no operation): a description.
    expect((await admin.patch(`/api/v1/secrets/${q}-a`, { description: 'after' })).status).toBe(200);
    expect((await listOn(reader, q)).items.map((i) => [i.name, i.description])).toEqual([
      [`${q}-a`, 'after'],
      [`${q}-b`, ''],
    ]);

    // Writes the worker finishes: a create, a new version, a delete.
    await listCachedOnSecond(reader, companyId, q);
    expect((await admin.post('/api/v1/secrets', { name: `${q}-c`, value: 'v1' })).status).toBe(201);
    expect((await listOn(reader, q)).items.map((i) => i.name)).toEqual([`${q}-a`, `${q}-b`, `${q}-c`]);
    await listCachedOnSecond(reader, companyId, q);
    expect((await admin.put(`/api/v1/secrets/${q}-b/value`, { value: 'v2' })).status).toBe(200);
    expect((await listOn(reader, q)).items.map((i) => i.version)).toEqual([1, 2, 1]);
    await listCachedOnSecond(reader, companyId, q);
    expect((await admin.delete(`/api/v1/secrets/${q}-a?confirm=${q}-a`)).status).toBe(200);
    expect((await listOn(reader, q)).items.map((i) => i.name)).toEqual([`${q}-b`, `${q}-c`]);
  });

  it('walks cursor pages across a write: a page cached before it is read fresh after it', async () => {
    const q = prefix();
    for (const n of ['a', 'b', 'c', 'd', 'e'])
      expect((await admin.post('/api/v1/secrets', { name: `${q}-${n}`, value: 'v' })).status).toBe(201);
    const reader = ApiClient.withToken(second.url, token);
    const first = await listOn(reader, q, '&limit=2');
    expect(first.items.map((i) => i.name)).toEqual([`${q}-a`, `${q}-b`]);
    await listCachedOnSecond(reader, companyId, q, 2, first.nextCursor!);
    const before = await listOn(reader, q, `&limit=2&cursor=${first.nextCursor}`);
    expect(before.items.map((i) => i.name)).toEqual([`${q}-c`, `${q}-d`]);

    // A secret that sorts into the cached second page, and one of its rows deleted.
    expect((await admin.post('/api/v1/secrets', { name: `${q}-c0`, value: 'v' })).status).toBe(201);
    expect((await admin.delete(`/api/v1/secrets/${q}-d?confirm=${q}-d`)).status).toBe(200);
    const names: string[] = [...first.items.map((i) => i.name)];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await listOn(reader, q, `&limit=2&cursor=${cursor}`);
      names.push(...page.items.map((i) => i.name));
      cursor = page.nextCursor;
    }
    expect(names).toEqual([`${q}-a`, `${q}-b`, `${q}-c`, `${q}-c0`, `${q}-e`]);
  });

  it('decides on cached rows per request: each caller sees what its policy allows, a policy change at once', async () => {
    const { q, teamToken, teamReader, allowTeams } = await teamReaders();

    // The admin's read fills the cache; the team reader gets the same batch, filtered for it.
    await listCachedOnSecond(ApiClient.withToken(second.url, token), companyId, q);
    expect((await listOn(teamReader, q)).items.map((i) => i.name)).toEqual([`${q}-a`]);
    expect(second.listCached(companyId, q, 50)).toBe(true);

    // A policy change is in force on both processes when its answer arrives: the policy write's
    // barrier dropped the other process's compiled policies too (it hears Redis 300 ms late).
    const revalidated = (await listOn(teamReader, q)).items; // the other process's policy set, checked just now
    expect(revalidated.map((i) => i.name)).toEqual([`${q}-a`]);
    expect(await allowTeams(['a', 'b'])).toBe(200);
    expect((await listOn(ApiClient.withToken(t.url, teamToken), q)).items.map((i) => i.name)).toEqual([
      `${q}-a`,
      `${q}-b`,
    ]);
    expect((await listOn(teamReader, q)).items.map((i) => i.name)).toEqual([`${q}-a`, `${q}-b`]);
    expect(await allowTeams(['none'])).toBe(200);
    expect((await listOn(teamReader, q)).items).toEqual([]);
  });

  it('keeps companies apart: the same query in another company reads that company’s rows', async () => {
    const q = prefix();
    expect(
      (await admin.post('/api/v1/secrets', { name: `${q}-x`, value: 'v', description: 'of the first' })).status,
    ).toBe(201);
    const other = new ApiClient(t.url);
    const otherCompany = (await other.signup()).company.id;
    expect(
      (await other.post('/api/v1/secrets', { name: `${q}-x`, value: 'v', description: 'of the second' })).status,
    ).toBe(201);
    const otherToken = (await other.post('/api/v1/tokens', { name: 'reader', roles: ['Admin'] })).body.token as string;
    const reader = ApiClient.withToken(second.url, token);
    await listCachedOnSecond(reader, companyId, q);
    const theirs = (await listOn(ApiClient.withToken(second.url, otherToken), q)).items;
    expect(theirs.map((i) => [i.description, i.path])).toEqual([['of the second', `nembl/${otherCompany}/${q}-x`]]);
    expect(second.listCached(otherCompany, q, 50)).toBe(true);
    // A write in one company leaves the other company's cached list in place.
    expect((await other.patch(`/api/v1/secrets/${q}-x`, { description: 'changed' })).status).toBe(200);
    expect(second.listCached(companyId, q, 50)).toBe(true);
    expect((await listOn(reader, q)).items.map((i) => i.description)).toEqual(['of the first']);
  });

  it('keeps its cached lists across a policy simulation (a read: nothing to announce)', async () => {
    const q = prefix();
    expect((await admin.post('/api/v1/secrets', { name: `${q}-a`, value: 'v' })).status).toBe(201);
    const reader = ApiClient.withToken(second.url, token);
    await listCachedOnSecond(reader, companyId, q);
    const simulated = await admin.post('/api/v1/policies/simulate', {
      principal: { roles: ['Admin'] },
      action: 'secrets:read',
      resource: { secret: `${q}-a` },
    });
    expect(simulated.status).toBe(200);
    await new Promise((r) => setTimeout(r, SUBSCRIBER_DELAY_MS + 100)); // an announcement would have arrived
    expect(second.listCached(companyId, q, 50)).toBe(true);
  });

  it('applies another process’s policy change at once while its subscription is lost', async () => {
    const { q, teamReader, allowTeams } = await teamReaders();
    expect((await listOn(teamReader, q)).items.map((i) => i.name)).toEqual([`${q}-a`]);
    proxy.cut();
    try {
      // The second process noticed: its caches are off (and it no longer trusts its compiled policies).
      await vi.waitFor(
        async () => {
          await listOn(teamReader, q);
          expect(second.listCacheSize()).toBe(0);
        },
        { timeout: 5000, interval: 20 },
      );
      // The first process's barrier cannot reach the second: the change must still apply there at once.
      expect(await allowTeams(['a', 'b'])).toBe(200);
      expect((await listOn(teamReader, q)).items.map((i) => i.name)).toEqual([`${q}-a`, `${q}-b`]);
      expect(await allowTeams(['none'])).toBe(200);
      expect((await listOn(teamReader, q)).items).toEqual([]);
    } finally {
      proxy.restore();
    }
  });

  it('serves no list from the cache while its subscription is lost', async () => {
    const q = prefix();
    expect((await admin.post('/api/v1/secrets', { name: `${q}-a`, value: 'v', description: 'before' })).status).toBe(
      201,
    );
    const reader = ApiClient.withToken(second.url, token);
    await listCachedOnSecond(reader, companyId, q);
    proxy.cut();
    try {
      await vi.waitFor(
        async () => {
          await listOn(reader, q);
          expect(second.listCacheSize()).toBe(0);
        },
        { timeout: 5000, interval: 20 },
      );
      expect((await admin.patch(`/api/v1/secrets/${q}-a`, { description: 'after' })).status).toBe(200);
      expect((await listOn(reader, q)).items.map((i) => i.description)).toEqual(['after']);
      expect(second.listCached(companyId, q, 50)).toBe(false);
    } finally {
      proxy.restore();
    }
    await listCachedOnSecond(reader, companyId, q);
  });
});
