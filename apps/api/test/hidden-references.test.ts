import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/openapi/openapi-document.js';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => t?.close());

const HIDDEN_SECRET = { kind: 'secret', hidden: true };

/**
 * One company: secrets `shared-key` and `private-key`; connector `internal-hook` on
 * `shared-key`, connector `public-github` on `private-key`; workflow `deploy` using both.
 * `secretReader` may read `shared-key` (and delete it) but no workflow and only `public-*`
 * connectors; `workflowReader` may read every workflow and connector but only `shared-key`.
 */
const company = async () => {
  const admin = new ApiClient(t.url);
  await admin.signup();
  for (const name of ['shared-key', 'private-key']) {
    expect((await admin.post('/api/v1/secrets', { name, value: 'canary-value-not-shown' })).status).toBeLessThan(300);
  }
  const connector = async (name: string, authSecret: string) => {
    const res = await admin.post('/api/v1/connectors', { name, kind: 'http', config: { baseUrl: 'http://127.0.0.1:9' }, authSecret });
    expect(res.status).toBe(201);
    return res.body.connector.id as string;
  };
  const internalHook = await connector('internal-hook', 'shared-key');
  const publicGithub = await connector('public-github', 'private-key');
  const wf = await admin.post('/api/v1/workflows', {
    name: 'deploy',
    phases: [{ name: 'build', env: { SHARED: 'secret:shared-key', PRIVATE: 'secret:private-key', REGION: 'eu-west-1' } }],
  });
  expect(wf.status).toBe(201);
  const policy = await admin.post('/api/v1/policies', {
    name: 'readers',
    statements: [
      { sid: 'sr-secret', effect: 'allow', actions: ['secrets:read', 'secrets:delete'], principals: { roles: ['SecretReader'] }, resources: ['secret:shared-key'] },
      { sid: 'sr-conn', effect: 'allow', actions: ['connectors:read'], principals: { roles: ['SecretReader'] }, resources: ['connector:public-*'] },
      { sid: 'wr-secret', effect: 'allow', actions: ['secrets:read'], principals: { roles: ['WorkflowReader'] }, resources: ['secret:shared-key'] },
      { sid: 'wr-rest', effect: 'allow', actions: ['connectors:read', 'workflows:read'], principals: { roles: ['WorkflowReader'] } },
    ],
  });
  expect(policy.status).toBe(201);
  const as = async (role: string) => {
    const u = { email: `r-${randomBytes(4).toString('hex')}@example.com`, name: role, password: 'reader password 1', roles: [role], groups: [] };
    expect((await admin.post('/api/v1/users', u)).status).toBe(201);
    const c = new ApiClient(t.url);
    expect((await c.login(u.email, u.password)).status).toBe(200);
    return c;
  };
  return { admin, secretReader: await as('SecretReader'), workflowReader: await as('WorkflowReader'), internalHook, publicGithub, workflowId: wf.body.workflow.id as string };
};

describe('references to what the caller may not read', () => {
  it('shows bound resources the caller may not read as hidden, on detail, list, bindings and the delete review', async () => {
    const { admin, secretReader } = await company();
    const hiddenBindings = [
      { kind: 'connector', hidden: true },
      { kind: 'workflow_phase', hidden: true },
    ];
    const detail = await secretReader.get('/api/v1/secrets/shared-key');
    expect(detail.status).toBe(200);
    expect(detail.body.secret.boundResources).toEqual(hiddenBindings);
    const list = await secretReader.get('/api/v1/secrets');
    expect(list.body.items.map((s: { name: string }) => s.name)).toEqual(['shared-key']);
    expect(list.body.items[0].boundResources).toEqual(hiddenBindings);
    const bindings = await secretReader.get('/api/v1/secrets/shared-key/bindings');
    expect(bindings.body.items).toEqual(hiddenBindings);
    const review = await secretReader.delete('/api/v1/secrets/shared-key');
    expect(review.status).toBe(409);
    expect(review.body.boundResources).toEqual(hiddenBindings);
    for (const res of [detail, list, bindings, review]) {
      expect(res.text).not.toContain('internal-hook');
      expect(res.text).not.toContain('deploy');
      expect(res.text).not.toContain('build');
    }

    // The Admin sees every binding by name.
    const full = await admin.get('/api/v1/secrets/shared-key/bindings');
    expect(full.body.items.map((b: { name: string }) => b.name).sort()).toEqual(['deploy', 'internal-hook']);
    expect(full.body.items.every((b: { id?: string; detail?: string }) => b.id && b.detail)).toBe(true);
  });

  it('names the bound resources a caller may read, and hides only the ones it may not', async () => {
    const { workflowReader, admin } = await company();
    const items = (await workflowReader.get('/api/v1/secrets/shared-key/bindings')).body.items;
    expect(items.map((b: { name: string }) => b.name).sort()).toEqual(['deploy', 'internal-hook']);

    // A connector on shared-key that only some may read.
    await admin.post('/api/v1/policies', {
      name: 'no secret hooks',
      statements: [{ effect: 'deny', actions: ['connectors:read'], principals: { roles: ['WorkflowReader'] }, resources: ['connector:internal-*'] }],
    });
    const after = (await workflowReader.get('/api/v1/secrets/shared-key/bindings')).body.items;
    expect(after).toEqual([expect.objectContaining({ kind: 'workflow_phase', name: 'deploy' }), { kind: 'connector', hidden: true }]);
  });

  it('hides a workflow’s reference to a secret the caller may not read, on detail and list', async () => {
    const { workflowReader, admin, workflowId } = await company();
    const detail = await workflowReader.get(`/api/v1/workflows/${workflowId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.workflow.phases[0].env).toEqual({ SHARED: 'secret:shared-key', PRIVATE: HIDDEN_SECRET, REGION: 'eu-west-1' });
    const list = await workflowReader.get('/api/v1/workflows');
    expect(list.body.items[0].phases[0].env.PRIVATE).toEqual(HIDDEN_SECRET);
    for (const res of [detail, list]) expect(res.text).not.toContain('private-key');
    expect((await admin.get(`/api/v1/workflows/${workflowId}`)).body.workflow.phases[0].env.PRIVATE).toBe('secret:private-key');
  });

  it('hides a connector’s authentication secret the caller may not read, on detail and list', async () => {
    const { workflowReader, secretReader, admin, publicGithub, internalHook } = await company();
    const hidden = await workflowReader.get(`/api/v1/connectors/${publicGithub}`);
    expect(hidden.status).toBe(200);
    expect(hidden.body.connector.authSecret).toEqual(HIDDEN_SECRET);
    expect(hidden.text).not.toContain('private-key');
    expect((await workflowReader.get(`/api/v1/connectors/${internalHook}`)).body.connector.authSecret).toBe('shared-key');
    const list = await workflowReader.get('/api/v1/connectors');
    const byName = Object.fromEntries(list.body.items.map((c: { name: string; authSecret: unknown }) => [c.name, c.authSecret]));
    expect(byName).toEqual({ 'internal-hook': 'shared-key', 'public-github': HIDDEN_SECRET });
    // secretReader may read public-github but not the secret it uses.
    expect((await secretReader.get(`/api/v1/connectors/${publicGithub}`)).body.connector.authSecret).toEqual(HIDDEN_SECRET);
    expect((await admin.get(`/api/v1/connectors/${publicGithub}`)).body.connector.authSecret).toBe('private-key');
  });

  it('hides the secret in a connector update’s answer when the caller may update the connector but not read its secret', async () => {
    const { admin, publicGithub } = await company();
    await admin.post('/api/v1/policies', {
      name: 'renamers',
      statements: [{ effect: 'allow', actions: ['connectors:read', 'connectors:update'], principals: { roles: ['Renamer'] } }],
    });
    const u = { email: `n-${randomBytes(4).toString('hex')}@example.com`, name: 'n', password: 'renamer password 1', roles: ['Renamer'], groups: [] };
    await admin.post('/api/v1/users', u);
    const renamer = new ApiClient(t.url);
    await renamer.login(u.email, u.password);
    const res = await renamer.patch(`/api/v1/connectors/${publicGithub}`, { name: 'public-github-2' });
    expect(res.status).toBe(200);
    expect(res.body.connector).toMatchObject({ name: 'public-github-2', authSecret: HIDDEN_SECRET });
  });

  it('does not name a connector’s hidden secret in the error of an update re-checking it, nor of a test call after its deletion', async () => {
    const { admin, publicGithub } = await company();
    await admin.post('/api/v1/policies', {
      name: 'retargeters',
      statements: [{ effect: 'allow', actions: ['connectors:read', 'connectors:update'], principals: { roles: ['Retargeter'] } }],
    });
    const u = { email: `n-${randomBytes(4).toString('hex')}@example.com`, name: 'n', password: 'retarget password 1', roles: ['Retargeter'], groups: [] };
    await admin.post('/api/v1/users', u);
    const retargeter = new ApiClient(t.url);
    await retargeter.login(u.email, u.password);
    // A new target re-checks the stored secret, which the caller did not name and may not read.
    const moved = await retargeter.patch(`/api/v1/connectors/${publicGithub}`, { config: { baseUrl: 'http://127.0.0.1:10' } });
    expect(moved.status).toBe(422);
    expect(moved.body.errors[0].path).toBe('authSecret');
    expect(moved.text).not.toContain('private-key');
    // After the secret is deleted, a test call says the reference is broken, without the name.
    expect((await admin.delete('/api/v1/secrets/private-key?confirm=private-key')).status).toBeLessThan(300);
    const tested = await retargeter.post(`/api/v1/connectors/${publicGithub}/test`);
    expect(tested.status).toBe(422);
    expect(tested.body.errors[0].path).toBe('authSecret');
    expect(tested.text).not.toContain('private-key');
    // Who may read it still gets the name.
    expect((await admin.post(`/api/v1/connectors/${publicGithub}/test`)).text).toContain('private-key');
  });
});

describe('the documented shape of a hidden reference', () => {
  it('is what the API answers, for bound resources, connectors and workflows', () => {
    const schemas = (buildOpenApiDocument() as any).components.schemas;
    const hiddenBinding = schemas.BoundResource.oneOf[1];
    expect(Object.keys(hiddenBinding.properties).sort()).toEqual(['hidden', 'kind']);
    expect(hiddenBinding.properties.kind.enum).toEqual(['connector', 'workflow_phase']);
    expect(schemas.Connector.properties.authSecret.oneOf[1].properties.kind.enum).toEqual([HIDDEN_SECRET.kind]);
    expect(schemas.Workflow.properties.phases.items.properties.env.additionalProperties.oneOf[1].properties.kind.enum).toEqual([HIDDEN_SECRET.kind]);
  });
});
