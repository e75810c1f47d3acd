import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type ApiResponse, type TestApi } from './harness.js';
import { fillPath, operationsOf, type Json, type Operation } from './openapi-operations.js';

/**
 * The tenant-isolation matrix (issue 9, "Keep it closed"), generated from the served OpenAPI
 * path list: every operation that takes an id or a name, called by a second company's session,
 * Admin token and Runner token with the first company's id, answers exactly what it answers for
 * a random id — 404, with the same body but for `requestId` (and the echoed id or name itself).
 *
 * Ordering: value endpoints (`/runs/…/env`, `/connectors/{id}/credentials`) accept only service
 * tokens, and the contract puts that refusal (403) before tenancy: a session gets the same 403
 * for both ids there, which the matrix asserts instead of 404. Which operations those are is read
 * from each operation's `security` (no cookie scheme).
 */
let t: TestApi;
let doc: Json;
const owner: Record<string, string> = {};
let callers: Record<'session' | 'adminToken' | 'runnerToken', ApiClient>;

/** A valid body per operation, so that validation (400, which comes before 404) passes. */
const VALID_BODIES: Record<string, unknown> = {
  'PATCH /users/{id}': { name: 'Renamed' },
  'PATCH /secrets/{name}': { description: 'changed' },
  'PUT /secrets/{name}/value': { value: 'another value' },
  'DELETE /secrets/{name}': { confirm: '{name}' },
  'PUT /secrets/{name}/reminder': { intervalDays: 30 },
  'PUT /policies/{id}': {
    name: 'replaced',
    statements: [{ effect: 'allow', actions: ['secrets:read'], principals: '*' }],
  },
  'PATCH /connectors/{id}': { name: 'renamed' },
  'PUT /workflows/{id}': { name: 'replaced', phases: [{ name: 'build', env: {} }] },
};

beforeAll(async () => {
  t = await startTestApi();
  const a = new ApiClient(t.url);
  await a.signup({ companyName: 'Owner' });
  owner.userId = (
    await a.post('/api/v1/users', {
      email: `owned-${randomBytes(3).toString('hex')}@example.com`,
      name: 'Owned',
      password: 'a long enough password',
    })
  ).body.user.id;
  owner.tokenId = (await a.post('/api/v1/tokens', { name: 'owned', roles: ['Runner'] })).body.id;
  const secret = await a.post('/api/v1/secrets', { name: 'owned-secret', value: 'tenancy-canary' });
  owner.operationId = secret.body.operation.id;
  owner.secretName = 'owned-secret';
  owner.policyId = (
    await a.post('/api/v1/policies', {
      name: 'owned',
      statements: [{ effect: 'allow', actions: ['secrets:read'], principals: '*' }],
    })
  ).body.policy.id;
  owner.connectorId = (
    await a.post('/api/v1/connectors', {
      name: 'owned',
      kind: 'http',
      config: { baseUrl: 'http://127.0.0.1:9' },
      authSecret: 'owned-secret',
    })
  ).body.connector.id;
  owner.workflowId = (
    await a.post('/api/v1/workflows', { name: 'owned', phases: [{ name: 'build', env: { T: 'secret:owned-secret' } }] })
  ).body.workflow.id;
  owner.runId = (await a.post(`/api/v1/workflows/${owner.workflowId}/runs`)).body.run.id;

  const b = new ApiClient(t.url);
  await b.signup({ companyName: 'Intruder' });
  const token = async (roles: string[]) =>
    (await b.post('/api/v1/tokens', { name: `t-${randomBytes(3).toString('hex')}`, roles })).body.token as string;
  callers = {
    session: b,
    adminToken: ApiClient.withToken(t.url, await token(['Admin'])),
    runnerToken: ApiClient.withToken(t.url, await token(['Runner'])),
  };
  doc = (await new ApiClient(t.url).get('/api/v1/openapi.json')).body;
}, 60_000);
afterAll(async () => t?.close());

/** The first company's value for a path parameter, by the resource the path names. */
const ownedValue = (op: Operation, param: string): string => {
  if (param === 'name') return owner.secretName!;
  if (param === 'runId') return owner.runId!;
  if (param === 'phase') return 'build';
  const byResource: Record<string, string | undefined> = {
    users: owner.userId,
    tokens: owner.tokenId,
    policies: owner.policyId,
    connectors: owner.connectorId,
    workflows: owner.workflowId,
    operations: owner.operationId,
  };
  const v = byResource[op.path.split('/')[1] ?? ''];
  if (!v) throw new Error(`no owned value for ${param} of ${op.method} ${op.path}: add the resource to the matrix`);
  return v;
};

const randomValue = (param: string): string =>
  param === 'name' ? `missing-${randomBytes(4).toString('hex')}` : param === 'phase' ? 'build' : randomUUID();

const call = (client: ApiClient, op: Operation, values: Record<string, string>): Promise<ApiResponse> => {
  const key = `${op.method} ${op.path}`;
  const template = VALID_BODIES[key];
  const body =
    template === undefined ? undefined : JSON.parse(JSON.stringify(template).replace(/\{name\}/g, values.name ?? ''));
  return client.request(
    op.method,
    `/api/v1${fillPath(op.path, values)}`,
    body ?? (op.method === 'GET' || op.method === 'DELETE' ? undefined : {}),
  );
};

/** The body without what differs by construction: the request id and the echoed id or name. */
const comparable = (res: ApiResponse, values: Record<string, string>) => {
  let text = JSON.stringify({ ...res.body, requestId: undefined });
  for (const [k, v] of Object.entries(values)) if (k !== 'phase') text = text.split(v).join(`{${k}}`);
  return { status: res.status, body: JSON.parse(text) };
};

describe('tenant isolation', () => {
  it("answers another company's ids and names exactly like random ones, for every operation that takes one", async () => {
    const ops = operationsOf(doc).filter((op) => op.params.some((p) => p.in === 'path'));
    expect(ops.length).toBeGreaterThan(15);
    const checked: string[] = [];
    for (const op of ops) {
      const names = op.params.filter((p) => p.in === 'path').map((p) => p.name);
      if (op.body && !VALID_BODIES[`${op.method} ${op.path}`])
        throw new Error(`no valid body for ${op.method} ${op.path}: add one to VALID_BODIES`);
      for (const [who, client] of Object.entries(callers)) {
        const isSession = who === 'session';
        // Bearer-only operations refuse a session before looking at the id (the contract's order).
        const expected = isSession && !op.auth.has('session') ? 403 : 404;
        const owned = Object.fromEntries(names.map((n) => [n, ownedValue(op, n)]));
        const random = Object.fromEntries(names.map((n) => [n, randomValue(n)]));
        const a = await call(client, op, owned);
        const r = await call(client, op, random);
        const label = `${who} ${op.method} ${op.path}`;
        expect(a.status, `${label}: ${a.text}`).toBe(expected);
        expect(comparable(a, owned), label).toEqual(comparable(r, random));
        checked.push(label);
      }
    }
    expect(checked.length).toBe(ops.length * 3);
  });

  it("leaves the first company's resources as they were", async () => {
    // The owner's data is still there and unchanged after the matrix.
    const rows = await t.dataSource.query(
      `SELECT (SELECT count(*) FROM users WHERE id = $1)::int AS users, (SELECT count(*) FROM service_tokens WHERE id = $2 AND revoked_at IS NULL)::int AS tokens,
              (SELECT description FROM secrets WHERE name = 'owned-secret') AS description, (SELECT name FROM policies WHERE id = $3) AS policy,
              (SELECT name FROM connectors WHERE id = $4) AS connector, (SELECT name FROM workflows WHERE id = $5) AS workflow`,
      [owner.userId, owner.tokenId, owner.policyId, owner.connectorId, owner.workflowId],
    );
    expect(rows[0]).toEqual({
      users: 1,
      tokens: 1,
      description: '',
      policy: 'owned',
      connector: 'owned',
      workflow: 'owned',
    });
  });
});
