import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../src/openapi/openapi-document.js';
import { createServer } from '../src/server.js';
import { ApiClient, startTestApi, type TestApi } from './harness.js';
import { openapiResponseValidator } from './openapi-validator.js';

type Json = Record<string, any>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Routes that exist in the code (api.md endpoints plus GET /users/{id} and GET /tokens/{id}). */
const IMPLEMENTED: Record<string, string[]> = {
  '/auth/signup': ['post'],
  '/auth/login': ['post'],
  '/auth/logout': ['post'],
  '/auth/csrf': ['get'],
  '/me': ['get'],
  '/me/password': ['put'],
  '/me/permissions': ['post'],
  '/users': ['get', 'post'],
  '/users/{id}': ['get', 'patch', 'delete'],
  '/tokens': ['get', 'post'],
  '/tokens/{id}': ['get', 'delete'],
  '/secrets': ['get', 'post'],
  '/secrets/{name}': ['get', 'patch', 'delete'],
  '/secrets/{name}/value': ['put'],
  '/secrets/{name}/bindings': ['get'],
  '/secrets/{name}/reminder': ['put', 'delete'],
  '/operations': ['get'],
  '/operations/{id}': ['get'],
  '/policies': ['get', 'post'],
  '/policies/simulate': ['post'],
  '/policies/{id}': ['get', 'put', 'delete'],
  '/audit': ['get'],
  '/audit/verify': ['get'],
  '/audit/export': ['get'],
  '/connectors': ['get', 'post'],
  '/connectors/{id}': ['get', 'patch', 'delete'],
  '/connectors/{id}/test': ['post'],
  '/connectors/{id}/credentials': ['post'],
  '/workflows': ['get', 'post'],
  '/workflows/{id}': ['get', 'put', 'delete'],
  '/workflows/{id}/runs': ['post'],
  '/runs/{runId}/phases/{phase}/env': ['post'],
  '/env/resolve': ['post'],
};

const unescapePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

const resolvePointer = (doc: Json, pointer: string): unknown => {
  if (!pointer.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const part of pointer.slice(2).split('/').map(unescapePointer)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return undefined;
    node = (node as Json)[part];
  }
  return node;
};

/** Follows `$ref`s until a concrete object. */
const deref = (doc: Json, node: Json): Json => {
  let n = node;
  for (let i = 0; i < 20 && typeof n?.$ref === 'string'; i++) n = resolvePointer(doc, n.$ref) as Json;
  return n;
};

/** Properties of an object schema, through `$ref` and `allOf`. */
const propertiesOf = (doc: Json, schema: Json): Record<string, Json> => {
  const s = deref(doc, schema);
  const own = (s.properties ?? {}) as Record<string, Json>;
  return Object.assign({}, ...((s.allOf ?? []) as Json[]).map((part) => propertiesOf(doc, part)), own);
};
const requiredOf = (doc: Json, schema: Json): string[] => {
  const s = deref(doc, schema);
  return [...((s.required ?? []) as string[]), ...((s.allOf ?? []) as Json[]).flatMap((part) => requiredOf(doc, part))];
};

const walk = (node: unknown, visit: (n: Json, path: string) => void, path = '#'): void => {
  if (node === null || typeof node !== 'object') return;
  if (!Array.isArray(node)) visit(node as Json, path);
  for (const [k, v] of Object.entries(node)) walk(v, visit, `${path}/${k}`);
};

const operationsOf = (doc: Json) =>
  Object.entries(doc.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as Json, item })),
  );

/** A small structural OpenAPI 3.1 check (no validator package is installed). Returns the problems found. */
const structuralProblems = (doc: Json): string[] => {
  const problems: string[] = [];
  if (!/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi is ${doc.openapi}`);
  if (typeof doc.info?.title !== 'string' || typeof doc.info?.version !== 'string') problems.push('info.title/version missing');

  walk(doc, (n, at) => {
    if (typeof n.$ref === 'string' && resolvePointer(doc, n.$ref) === undefined) problems.push(`${at}: $ref ${n.$ref} does not resolve`);
  });

  const schemes = Object.keys(doc.components?.securitySchemes ?? {});
  const checkSecurity = (reqs: Json[] | undefined, at: string) => {
    for (const req of reqs ?? []) for (const name of Object.keys(req)) if (!schemes.includes(name)) problems.push(`${at}: unknown security scheme ${name}`);
  };
  checkSecurity(doc.security, 'security');

  const ids = new Map<string, string>();
  for (const { path, method, op, item } of operationsOf(doc)) {
    const at = `${method.toUpperCase()} ${path}`;
    if (!path.startsWith('/')) problems.push(`${path}: path must start with /`);
    if (typeof op.operationId !== 'string') problems.push(`${at}: no operationId`);
    else if (ids.has(op.operationId)) problems.push(`${at}: operationId ${op.operationId} also used by ${ids.get(op.operationId)}`);
    else ids.set(op.operationId, at);

    const responses = Object.entries((op.responses ?? {}) as Record<string, Json>);
    if (responses.length === 0) problems.push(`${at}: no responses`);
    if (!responses.some(([code]) => /^[23]\d\d$/.test(code))) problems.push(`${at}: no success response`);
    for (const [code, r] of responses) {
      if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${at}: bad response code ${code}`);
      if (typeof deref(doc, r)?.description !== 'string') problems.push(`${at} ${code}: response without description`);
    }
    checkSecurity(op.security, at);

    const params = [...((item.parameters ?? []) as Json[]), ...((op.parameters ?? []) as Json[])].map((p) => deref(doc, p));
    const seen = new Set<string>();
    for (const p of params) {
      if (typeof p.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(p.in)) problems.push(`${at}: bad parameter ${JSON.stringify(p)}`);
      if (seen.has(`${p.in}:${p.name}`)) problems.push(`${at}: duplicate parameter ${p.name}`);
      seen.add(`${p.in}:${p.name}`);
      if (p.in === 'path' && p.required !== true) problems.push(`${at}: path parameter ${p.name} not required`);
      if (!p.schema && !p.content) problems.push(`${at}: parameter ${p.name} without schema`);
    }
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const declared = params.filter((p) => p.in === 'path').map((p) => p.name as string);
    if (templated.sort().join() !== declared.sort().join()) problems.push(`${at}: path parameters ${declared} ≠ template ${templated}`);

    if (op.requestBody) {
      const body = deref(doc, op.requestBody);
      if (!body.content || Object.keys(body.content).length === 0) problems.push(`${at}: requestBody without content`);
      if (['get', 'head'].includes(method)) problems.push(`${at}: body on ${method}`);
    }
  }
  return problems;
};

/** Routes the Express app really serves under /api/v1, as OpenAPI paths. */
const mountedRoutes = (app: ReturnType<typeof createServer>): Map<string, Set<string>> => {
  const out = new Map<string, Set<string>>();
  const collect = (stack: Json[], prefix: string, underApi: boolean) => {
    for (const layer of stack) {
      const raw = typeof layer.rawPath === 'string' ? layer.rawPath : '';
      if (layer.route) {
        if (!underApi) continue;
        const paths: string[] = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          const key = (prefix + p).replace(/:(\w+)/g, '{$1}');
          const methods = out.get(key) ?? new Set<string>();
          for (const m of Object.keys(layer.route.methods)) methods.add(m);
          out.set(key, methods);
        }
      } else if (Array.isArray(layer.handle?.stack)) {
        const isApi = raw === '/api/v1';
        collect(layer.handle.stack, raw === '/' || raw === '' || isApi ? prefix : prefix + raw, underApi || isApi);
      }
    }
  };
  collect((app as unknown as { router: { stack: Json[] } }).router.stack, '', false);
  return out;
};

describe('OpenAPI document (unit)', () => {
  const doc = buildOpenApiDocument() as Json;

  it('is OpenAPI 3.1 for /api/v1 and passes the structural check', () => {
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(doc.servers).toEqual([{ url: '/api/v1' }]);
    expect(structuralProblems(doc)).toEqual([]);
  });

  it('documents every implemented route with its methods, none marked planned', () => {
    for (const [path, methods] of Object.entries(IMPLEMENTED)) {
      expect(doc.paths, path).toHaveProperty([path]);
      for (const m of methods) {
        expect(doc.paths[path][m], `${m.toUpperCase()} ${path}`).toBeDefined();
        expect(doc.paths[path][m]['x-status'], `${m.toUpperCase()} ${path}`).toBeUndefined();
      }
    }
    // Health endpoints live outside /api/v1: described in info only.
    expect(doc.paths).not.toHaveProperty(['/healthz']);
    expect(doc.info.description).toMatch(/\/healthz[\s\S]*\/readyz[\s\S]*\/metrics/);
  });

  it('returns values only to service tokens', () => {
    for (const [path, method] of [['/runs/{runId}/phases/{phase}/env', 'post'], ['/connectors/{id}/credentials', 'post']] as const) {
      expect(doc.paths[path][method].security, path).toEqual([{ bearer: [] }]);
      expect(doc.paths[path][method].responses, path).toHaveProperty('403');
    }
    // Nowhere else does a response schema have a `value` property.
    const valueCarriers = new Set(['ConnectorCredentials']);
    for (const [name, schema] of Object.entries(doc.components.schemas as Record<string, Json>)) {
      if (valueCarriers.has(name) || name.endsWith('Request')) continue;
      walk(schema, (n, at) => expect(n.properties?.value, `${name} ${at}`).toBeUndefined());
    }
  });

  it('never has a value in the Secret schema; the create body requires name and value with the byte limit', () => {
    const secretProps = propertiesOf(doc, doc.components.schemas.Secret);
    expect(Object.keys(secretProps)).toContain('name');
    expect(secretProps).not.toHaveProperty('value');
    expect(doc.components.schemas.Secret.additionalProperties).toBe(false);
    walk(doc.components.schemas.SecretWrite, (n) => expect(n.properties ?? {}).not.toHaveProperty('value'));

    const body = doc.paths['/secrets'].post.requestBody.content['application/json'].schema;
    expect(requiredOf(doc, body)).toEqual(expect.arrayContaining(['name', 'value']));
    const value = propertiesOf(doc, body).value!;
    expect(value.maxLength === 65_536 || /65,?536/.test(String(value.description))).toBe(true);
    expect(value.description).toMatch(/65,536 bytes/);
    // Generated from the router's zod schema: the name pattern and the type enum come through.
    const name = propertiesOf(doc, body).name!;
    expect(name).toMatchObject({ type: 'string', minLength: 1, maxLength: 128, pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' });
    expect(propertiesOf(doc, body).type).toMatchObject({ enum: ['api_key', 'oauth_token', 'password', 'certificate', 'custom'], default: 'custom' });
    expect(propertiesOf(doc, doc.paths['/secrets/{name}/value'].put.requestBody.content['application/json'].schema).value).toEqual(value);
  });

  it('documents writes, errors and security as the contract says', () => {
    const create = doc.paths['/secrets'].post;
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '202', '400', '401', '403', '409', '413', '429', '503']));
    expect(create.responses['202'].headers).toHaveProperty('Location');
    expect(create.security).toEqual([{ session: [], csrf: [] }, { bearer: [] }]);
    expect(doc.paths['/secrets/{name}/value'].put.responses).toHaveProperty('202');
    expect(doc.paths['/secrets/{name}'].delete.responses['409']).toEqual({ $ref: '#/components/responses/DeleteNotConfirmed' });
    expect(doc.paths['/secrets'].get.security).toEqual([{ session: [] }, { bearer: [] }]);
    expect(doc.paths['/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/auth/login'].post.responses).toHaveProperty('429');
    expect(doc.components.responses.TooManyRequests.headers).toHaveProperty('Retry-After');
    expect(doc.components.responses.Unavailable.headers).toHaveProperty('Retry-After');

    const listParams = (doc.paths['/secrets'].get.parameters as Json[]).map((p) => deref(doc, p).name);
    expect(listParams.sort()).toEqual(['cursor', 'due', 'limit', 'q', 'tag', 'type']);
    expect(deref(doc, doc.components.parameters.Limit).schema).toMatchObject({ minimum: 1, maximum: 200, default: 50 });

    const problem = doc.components.schemas.Problem;
    expect(Object.keys(problem.properties).sort()).toEqual(['detail', 'errors', 'requestId', 'status', 'title', 'type']);
    expect(propertiesOf(doc, problem.properties.errors.items)).toHaveProperty('path');
    expect(doc.components.securitySchemes).toMatchObject({
      session: { type: 'apiKey', in: 'cookie', name: 'nembl_session' },
      csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
      bearer: { type: 'http', scheme: 'bearer' },
    });
    for (const name of ['Secret', 'Operation', 'User', 'Token', 'Policy', 'SecretPage', 'UserPage', 'TokenPage', 'PolicyPage']) {
      expect(doc.components.schemas, name).toHaveProperty([name]);
    }
  });
});

describe('the generated document', () => {
  it('is committed as apps/api/openapi.json, up to date (else run `npm run gen:openapi`)', () => {
    const committed: unknown = JSON.parse(readFileSync(new URL('../openapi.json', import.meta.url), 'utf8'));
    expect(committed, 'apps/api/openapi.json is stale: run `npm run gen:openapi` and commit it').toEqual(
      JSON.parse(JSON.stringify(buildOpenApiDocument())),
    );
  });

  it('is what the test harness checks every response against, and the check can fail', () => {
    const check = openapiResponseValidator();
    const url = 'http://127.0.0.1/api/v1/secrets';
    const json = 'application/json; charset=utf-8';
    expect(check('GET', url, 200, json, { items: [], nextCursor: null })).toBeUndefined();
    expect(check('GET', url, 200, json, { items: [{ name: 'x' }], nextCursor: null })).toMatch(/GET \/secrets → 200: .*required property/);
    expect(check('GET', url, 200, json, { items: [], nextCursor: null, extra: 1 })).toMatch(/additional properties/);
    expect(check('GET', url, 201, json, { items: [], nextCursor: null })).toMatch(/status not documented/);
    expect(check('GET', `${url}/db`, 404, 'application/problem+json', { type: '/problems/not-found' })).toMatch(/required property/);
    expect(
      check('GET', `${url}/db`, 404, 'application/problem+json', { type: '/problems/not-found', title: 'Not found', status: 404, detail: 'x', requestId: 'r' }),
    ).toBeUndefined();
    // Literal paths win over templates: this is GET /operations, not GET /operations/{id}.
    expect(check('GET', 'http://127.0.0.1/api/v1/operations', 200, json, { items: [], nextCursor: null })).toBeUndefined();
  });
});

describe('GET /api/v1/openapi.json', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(async () => t?.close());

  it('is served without authentication, cacheable, and equal to the built document', async () => {
    const res = await new ApiClient(t.url).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(String(res.body.openapi)).toMatch(/^3\.1/);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  it('documents every route the server mounts under /api/v1; only unserved routes are marked planned', () => {
    const doc = buildOpenApiDocument() as Json;
    const mounted = mountedRoutes(createServer(t.composed.serverDeps));
    expect(mounted.get('/secrets')).toEqual(new Set(['get', 'post']));
    for (const [path, methods] of mounted) {
      if (path === '/openapi.json') continue;
      for (const m of methods) {
        const op = doc.paths[path]?.[m];
        expect(op, `${m.toUpperCase()} ${path} is served but not in the OpenAPI document`).toBeDefined();
        expect(op['x-status'], `${m.toUpperCase()} ${path} is served: drop its x-status: planned`).toBeUndefined();
      }
    }
    for (const [path, methods] of Object.entries(IMPLEMENTED)) {
      for (const m of methods) expect(mounted.get(path)?.has(m), `${m.toUpperCase()} ${path} is not served`).toBe(true);
    }
    for (const { path, method, op } of operationsOf(doc)) {
      if (op['x-status'] === 'planned') expect(mounted.get(path)?.has(method), `${method.toUpperCase()} ${path} is planned but served`).not.toBe(true);
    }
  });

  it('describes the shapes the API really returns', async () => {
    const doc = buildOpenApiDocument() as Json;
    const expectShape = (value: Json, name: string, schema: Json = doc.components.schemas[name]) => {
      const keys = Object.keys(value);
      const documented = Object.keys(propertiesOf(doc, schema));
      expect(keys.filter((k) => !documented.includes(k)), `${name}: undocumented fields`).toEqual([]);
      expect(requiredOf(doc, schema).filter((k) => !keys.includes(k)), `${name}: missing fields`).toEqual([]);
    };

    const admin = new ApiClient(t.url);
    const session = await admin.signup();
    expectShape(session.user, 'User');
    expectShape(session.company, 'Company');
    expectShape((await admin.get('/api/v1/me')).body, 'Me (user)', doc.components.schemas.Me.oneOf[0]);
    const bot = ApiClient.withToken(t.url, (await admin.post('/api/v1/tokens', { name: 'openapi-me', roles: ['Runner'] })).body.token);
    expectShape((await bot.get('/api/v1/me')).body, 'Me (token)', doc.components.schemas.Me.oneOf[1]);

    const created = await admin.post('/api/v1/secrets', { name: 'openapi-shape', value: 's3cret-value', tags: { env: 'dev' } });
    expect([201, 202]).toContain(created.status);
    expectShape(created.body, 'SecretWrite');
    expectShape(created.body.secret, 'Secret');
    expectShape(created.body.operation, 'Operation');
    expect(created.text).not.toContain('s3cret-value');

    const reminder = await admin.put('/api/v1/secrets/openapi-shape/reminder', { intervalDays: 30 });
    expect(reminder.status).toBe(200);
    expectShape(reminder.body.secret, 'Secret');
    expectShape(reminder.body.secret.reminder, 'Secret.reminder', doc.components.schemas.Secret.properties.reminder.anyOf[0]);

    const list = await admin.get('/api/v1/secrets?limit=1');
    expectShape(list.body, 'SecretPage');
    const detail = await admin.get('/api/v1/secrets/openapi-shape');
    expectShape(detail.body, 'SecretDetail');
    expectShape((await admin.get(`/api/v1/operations/${created.body.operation.id}`)).body, 'Operation');

    const token = await admin.post('/api/v1/tokens', { name: 'openapi-bot', roles: ['Runner'] });
    expectShape(token.body, 'CreatedToken');
    const policies = await admin.get('/api/v1/policies');
    expectShape(policies.body.items[0], 'Policy');

    const audit = await admin.get('/api/v1/audit?limit=5');
    expect(audit.status).toBe(200);
    expectShape(audit.body, 'AuditEventPage');
    for (const event of audit.body.items) expectShape(event, 'AuditEvent');
    expectShape((await admin.get('/api/v1/audit/verify')).body, 'AuditVerification');

    // Wait for the value to be in the store before machines read it.
    for (let i = 0; i < 100; i++) {
      const op = await admin.get(`/api/v1/operations/${created.body.operation.id}`);
      if (op.body.status === 'succeeded') break;
      expect(op.body.status).not.toBe('failed');
      await new Promise((r) => setTimeout(r, 100));
    }
    const connector = await admin.post('/api/v1/connectors', {
      name: 'openapi-http',
      kind: 'http',
      config: { baseUrl: 'http://127.0.0.1:9' },
      authSecret: 'openapi-shape',
    });
    expect(connector.status).toBe(201);
    expectShape(connector.body.connector, 'Connector');
    expectShape((await admin.get('/api/v1/connectors')).body, 'ConnectorPage');
    const workflow = await admin.post('/api/v1/workflows', {
      name: 'openapi-flow',
      phases: [{ name: 'deploy', env: { TOKEN: 'secret:openapi-shape', REGION: 'eu-west-1' } }],
    });
    expect(workflow.status).toBe(201);
    expectShape(workflow.body.workflow, 'Workflow');
    expectShape((await admin.get('/api/v1/workflows')).body, 'WorkflowPage');
    const run = await admin.post(`/api/v1/workflows/${workflow.body.workflow.id}/runs`);
    expect(run.status).toBe(201);
    expectShape(run.body.run, 'Run');
    const runner = ApiClient.withToken(t.url, (await admin.post('/api/v1/tokens', { name: 'openapi-runner', roles: ['Admin'] })).body.token);
    const env = await runner.post(`/api/v1/runs/${run.body.run.id}/phases/deploy/env`);
    expect(env.status).toBe(200);
    expectShape(env.body, 'RunEnv');
    const creds = await runner.post(`/api/v1/connectors/${connector.body.connector.id}/credentials`);
    expect(creds.status).toBe(200);
    expectShape(creds.body, 'ConnectorCredentials');
    expect((await admin.post(`/api/v1/connectors/${connector.body.connector.id}/credentials`)).status).toBe(403);
    expectShape((await admin.get('/api/v1/secrets/openapi-shape/bindings')).body.items[0], 'BoundResource (named)', doc.components.schemas.BoundResource.oneOf[0]);

    const bad = await admin.post('/api/v1/secrets', { name: 'Bad Name', value: 'x' });
    expect(bad.status).toBe(400);
    expectShape(bad.body, 'Problem');
  });
});
