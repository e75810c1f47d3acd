import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';
import { deref, fillPath, operationsOf, type Json, type Operation } from './openapi-operations.js';

/**
 * A bounded fuzzer driven by the served OpenAPI document (issue 9, "Keep it closed"): for every
 * operation, bodies, query strings and path parameters are generated from its schemas, then
 * mutated (wrong types, NUL, lone surrogates, huge strings, `__proto__`, deep nesting, odd
 * encodings). Every response must be below 500, within 5 s, a problem document when it is a
 * 4xx, and a refused write must leave the company's rows as they were.
 *
 * Compared rows: every table holding the company's data, minus the append-only audit log
 * (`audit_events`, `audit_chain_heads`, `audit_outbox`: refused requests are audited by design)
 * and the usage stamps `service_tokens.last_used_at`, `sessions.last_seen_at`/`expires_at`.
 * GET requests are not compared (they write nothing but audit events). The worker is stopped
 * once the fixtures exist, so no operation completes behind the fuzzer's back.
 * `FUZZ_RUNS=n` changes the number of requests, `FUZZ_TRACE=1` prints each one.
 */
const SEED = 20261201;
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const SLOW_MS = 5000;

let t: TestApi;
let doc: Json;
let admin: ApiClient;
let adminToken: string;
let companyId: string;
const fixtures: Record<string, string> = {};

beforeAll(async () => {
  // A short write wait: once the worker is stopped every secret write answers 202 after it.
  t = await startTestApi({ NEMBL_WRITE_WAIT_MS: '50' });
  admin = new ApiClient(t.url);
  const s = await admin.signup({ companyName: 'Fuzzed' });
  companyId = s.company.id;
  adminToken = (await admin.post('/api/v1/tokens', { name: 'fuzz-admin', roles: ['Admin'] })).body.token;
  fixtures.user = (
    await admin.post('/api/v1/users', {
      email: 'victim@example.com',
      name: 'Victim',
      password: 'a long enough password',
    })
  ).body.user.id;
  fixtures.token = (await admin.post('/api/v1/tokens', { name: 'victim', roles: ['Runner'] })).body.id;
  const created = await admin.post('/api/v1/secrets', {
    name: 'fuzz-secret',
    value: 'fuzz-canary-value',
    tags: { env: 'prod' },
  });
  fixtures.secret = 'fuzz-secret';
  fixtures.operation = created.body.operation.id;
  fixtures.policy = (
    await admin.post('/api/v1/policies', {
      name: 'fuzz',
      statements: [{ effect: 'allow', actions: ['secrets:read'], principals: { roles: ['Viewer'] } }],
    })
  ).body.policy.id;
  fixtures.connector = (
    await admin.post('/api/v1/connectors', {
      name: 'fuzz-hook',
      kind: 'http',
      config: { baseUrl: 'http://127.0.0.1:9' },
      authSecret: 'fuzz-secret',
    })
  ).body.connector.id;
  fixtures.workflow = (
    await admin.post('/api/v1/workflows', {
      name: 'fuzz-flow',
      phases: [{ name: 'build', env: { TOKEN: 'secret:fuzz-secret' } }],
    })
  ).body.workflow.id;
  fixtures.run = (await admin.post(`/api/v1/workflows/${fixtures.workflow}/runs`)).body.run.id;
  fixtures.phase = 'build';
  await vi.waitFor(
    async () => expect((await admin.get('/api/v1/secrets/fuzz-secret')).body.secret.status).toBe('active'),
    { timeout: 10_000, interval: 50 },
  );
  await t.worker?.stop();
  doc = (await new ApiClient(t.url).get('/api/v1/openapi.json')).body;
}, 60_000);
afterAll(async () => t?.close());

// ---------------------------------------------------------------------------------------------
// Values from schemas
// ---------------------------------------------------------------------------------------------

const loopbackUrl = fc.integer({ min: 1, max: 65535 }).map((port) => `http://127.0.0.1:${port}`);

const stringFrom = (s: Json): fc.Arbitrary<string> => {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, Math.max(min, 40));
  if (s.format === 'uuid') return fc.oneof(fc.uuid(), fc.constantFrom(...Object.values(fixtures)));
  if (s.format === 'date-time')
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString());
  if (s.format === 'email') return fc.emailAddress();
  // Only loopback targets: connectors resolve and call their baseUrl.
  if (s.format === 'uri') return loopbackUrl;
  if (typeof s.pattern === 'string') {
    try {
      return fc.stringMatching(new RegExp(s.pattern, 'u')).map((x) => x.slice(0, max));
    } catch {
      // a pattern fast-check cannot generate from: fall through to plain strings
    }
  }
  return fc.string({ minLength: min, maxLength: max });
};

const fromSchema = (node: Json | undefined, depth = 0): fc.Arbitrary<unknown> => {
  const s = deref(doc, node);
  if (!s || depth > 5) return fc.constant(null);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (Array.isArray(alternatives)) return fc.oneof(...alternatives.map((a: Json) => fromSchema(a, depth + 1)));
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  const type = types.find((x) => x !== 'null') ?? (s.properties ? 'object' : s.items ? 'array' : undefined);
  if (Array.isArray(s.allOf) && type !== 'string') {
    return fc
      .tuple(...s.allOf.map((a: Json) => fromSchema(a, depth + 1)))
      .map((parts) => Object.assign({}, ...parts.filter((p) => p && typeof p === 'object')));
  }
  switch (type) {
    case 'string':
      return stringFrom(s);
    case 'integer':
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 100_000 });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(s.items, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)),
      });
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Json>;
      const known = fc.record(
        Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fromSchema(v, depth + 1)])),
        {
          requiredKeys: (s.required ?? []).filter((k: string) => k in props),
        },
      );
      if (s.additionalProperties && typeof s.additionalProperties === 'object') {
        const key = s.propertyNames
          ? (fromSchema(s.propertyNames, depth + 1) as fc.Arbitrary<string>)
          : fc.string({ minLength: 1, maxLength: 12 });
        const extra = fc.dictionary(key, fromSchema(s.additionalProperties, depth + 1), { maxKeys: 3 });
        return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }));
      }
      return known;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
};

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

const deep = (levels: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = i % 2 ? [v] : { d: v };
  return v;
};
const proto = () => JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}');

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(null, 0, -1, 1.5, 1e308, true, false, [], {}, ''),
  fc.constantFrom(
    'x\u0000y',
    '\u0000',
    'a\ud800b',
    '\udfff',
    '\u202e\u0085\u001b[31m',
    'line\r\nbreak',
    '😀'.repeat(10),
    '%00',
    '%ZZ',
    '../../etc/passwd',
    '__proto__',
    'constructor',
  ),
  fc.constantFrom('a'.repeat(70_000), 'b'.repeat(300)),
  fc.constant(null).map(() => proto()),
  fc.constant(null).map(() => deep(3000)),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }).map((x) => [x]),
);

/** Every position in a JSON value, as key paths. */
const positions = (v: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []) => {
  out.push(at);
  if (at.length < 6 && v && typeof v === 'object')
    for (const [k, c] of Object.entries(v)) positions(c, [...at, Array.isArray(v) ? Number(k) : k], out);
  return out;
};

const setAt = (root: unknown, path: Array<string | number>, value: unknown): unknown => {
  if (path.length === 0) return value;
  const copy = JSON.parse(JSON.stringify(root));
  let node = copy;
  for (const k of path.slice(0, -1)) node = node[k];
  Object.defineProperty(node, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
  return copy;
};

type BodyMutation =
  | { kind: 'none' }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'extra'; key: string; value: unknown }
  | { kind: 'whole'; value: unknown };

const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: hostileValue }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('extra' as const),
      key: fc.constantFrom('__proto__', 'constructor', 'prototype', 'x\u0000', '\ud800', 'extra'),
      value: hostileValue,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('whole' as const), value: hostileValue }) },
);

const mutateBody = (body: unknown, m: BodyMutation): unknown => {
  switch (m.kind) {
    case 'none':
      return body;
    case 'whole':
      return m.value;
    case 'replace': {
      const all = positions(body);
      return setAt(body, all[m.at % all.length]!, m.value);
    }
    case 'extra':
      return body && typeof body === 'object' && !Array.isArray(body) ? setAt(body, [m.key], m.value) : body;
  }
};

/** How the body goes on the wire. */
const encodings = fc.constantFrom(
  'json',
  'json',
  'json',
  'json',
  'gzip-real',
  'gzip-claimed',
  'deflate-claimed',
  'br-claimed',
  'zstd',
  'utf16',
  'latin1',
  'text-plain',
  'invalid-utf8',
  'no-type',
);

const onTheWire = (
  body: unknown,
  encoding: string,
): { headers: Record<string, string>; data: Buffer | string | undefined } => {
  if (body === undefined) return { headers: {}, data: undefined };
  const text = JSON.stringify(body) ?? 'null';
  const json = { 'content-type': 'application/json' };
  switch (encoding) {
    case 'gzip-real':
      return { headers: { ...json, 'content-encoding': 'gzip' }, data: gzipSync(text) };
    case 'gzip-claimed':
      return { headers: { ...json, 'content-encoding': 'gzip' }, data: text };
    case 'deflate-claimed':
      return { headers: { ...json, 'content-encoding': 'deflate' }, data: text };
    case 'br-claimed':
      return { headers: { ...json, 'content-encoding': 'br' }, data: text };
    case 'zstd':
      return { headers: { ...json, 'content-encoding': 'zstd' }, data: text };
    case 'utf16':
      return { headers: { 'content-type': 'application/json; charset=utf-16' }, data: Buffer.from(text, 'utf16le') };
    case 'latin1':
      return { headers: { 'content-type': 'application/json; charset=latin1' }, data: Buffer.from(text, 'latin1') };
    case 'text-plain':
      return { headers: { 'content-type': 'text/plain' }, data: text };
    case 'invalid-utf8':
      return {
        headers: json,
        data: Buffer.concat([
          Buffer.from(text.slice(0, -1)),
          Buffer.from([0xff, 0xfe, 0xc0]),
          Buffer.from(text.slice(-1)),
        ]),
      };
    case 'no-type':
      return { headers: {}, data: text };
    default:
      return { headers: json, data: text };
  }
};

const hostileSegment = fc.constantFrom(
  '%00',
  '%ED%A0%80',
  '%ZZ',
  '%E0%A4%A',
  '%C0%AF',
  'a'.repeat(5000),
  '..',
  '%2e%2e',
  '__proto__',
  'constructor',
  '%2F',
  '%20',
  'NOT-A-NAME',
  '00000000-0000-0000-0000-000000000000',
);

const hostileQueryValue = fc.constantFrom(
  '%00',
  '%ED%A0%80',
  '%ZZ',
  '%',
  'x'.repeat(10_000),
  '__proto__',
  '%5B%5D',
  '-1',
  '1e999',
  'true',
);

/** Fixture values for the path parameters of the documented operations, by first path segment. */
const fixtureFor = (op: Operation, param: string): string | undefined => {
  const resource = op.path.split('/')[1];
  if (param === 'name') return fixtures.secret;
  if (param === 'runId') return fixtures.run;
  if (param === 'phase') return fixtures.phase;
  const byResource: Record<string, string | undefined> = {
    users: fixtures.user,
    tokens: fixtures.token,
    policies: fixtures.policy,
    connectors: fixtures.connector,
    workflows: fixtures.workflow,
    operations: fixtures.operation,
  };
  return param === 'id' ? byResource[resource ?? ''] : undefined;
};

interface FuzzRequest {
  op: Operation;
  url: string;
  method: string;
  headers: Record<string, string>;
  data: Buffer | string | undefined;
  auth: 'anonymous' | 'session' | 'bearer';
}

const requestFor = (op: Operation): fc.Arbitrary<FuzzRequest> => {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const queryParams = op.params.filter((p) => p.in === 'query');
  const pathArb = fc.record(
    Object.fromEntries(
      pathParams.map((p) => {
        const fixture = fixtureFor(op, p.name);
        const generated = (fromSchema(p.schema) as fc.Arbitrary<unknown>).map((v) => encodeURIComponent(String(v)));
        return [
          p.name,
          fc.oneof(
            { weight: 4, arbitrary: fixture ? fc.constant(encodeURIComponent(fixture)) : generated },
            { weight: 1, arbitrary: generated },
            { weight: 2, arbitrary: hostileSegment },
          ),
        ];
      }),
    ),
  );
  const queryArb = fc.array(
    fc.oneof(
      ...(queryParams.length > 0
        ? [
            fc
              .tuple(fc.constantFrom(...queryParams), fc.boolean(), fc.constant(null))
              .chain(([p, hostile]) =>
                (hostile
                  ? hostileQueryValue
                  : (fromSchema(p.schema) as fc.Arbitrary<unknown>).map((v) =>
                      (Array.isArray(v) ? v : [v])
                        .map((x) => encodeURIComponent(typeof x === 'string' ? x : JSON.stringify(x)))
                        .join(`&${p.name}=`),
                    )
                ).map((v) => `${encodeURIComponent(p.name)}=${v}`),
              ),
          ]
        : []),
      fc.constantFrom('cursor=WyJhIiwibm90LWEtdXVpZCJd', 'limit=0', 'limit=%00', '__proto__=1', 'cursor=%ED%A0%80'),
    ),
    { maxLength: 3 },
  );
  const bodyArb = op.body
    ? fc.tuple(fromSchema(op.body), bodyMutation, encodings).map(([b, m, e]) => onTheWire(mutateBody(b, m), e))
    : op.method === 'GET'
      ? fc.constant(onTheWire(undefined, 'json'))
      : fc.oneof(
          { weight: 4, arbitrary: fc.constant(onTheWire(undefined, 'json')) },
          { weight: 1, arbitrary: hostileValue.map((v) => onTheWire(v, 'json')) },
        );
  const authArb = fc.constantFrom(...[...op.auth].filter((a) => !(op.path === '/auth/logout' && a === 'session')));
  return fc.tuple(pathArb, queryArb, bodyArb, authArb).map(([pathValues, query, body, auth]) => ({
    op,
    method: op.method,
    url: `/api/v1${fillPath(op.path, pathValues as Record<string, string>, true)}${query.length ? `?${query.join('&')}` : ''}`,
    headers: body.headers,
    data: body.data,
    auth,
  }));
};

// ---------------------------------------------------------------------------------------------
// The company's rows
// ---------------------------------------------------------------------------------------------

const VOLATILE: Record<string, string[]> = {
  service_tokens: ['last_used_at'],
  sessions: ['last_seen_at', 'expires_at'],
};
const COMPANY_TABLES = [
  'companies',
  'users',
  'sessions',
  'service_tokens',
  'secrets',
  'operations',
  'policies',
  'connectors',
  'workflows',
  'runs',
  'secret_bindings',
  'reminder_deliveries',
  'local_store_keys',
  'local_store_secrets',
  'local_store_versions',
];
const CHILD_TABLES: Record<string, string> = {
  secret_owners: 'secret_id IN (SELECT id FROM secrets WHERE company_id = $1)',
  secret_versions: 'secret_id IN (SELECT id FROM secrets WHERE company_id = $1)',
  run_pins: 'run_id IN (SELECT id FROM runs WHERE company_id = $1)',
};

const snapshotSql = [
  ...COMPANY_TABLES.map((table) => [table, table === 'companies' ? 'id = $1' : 'company_id = $1'] as const),
  ...Object.entries(CHILD_TABLES),
]
  .map(([table, where]) => {
    const row = `(to_jsonb(x) - ARRAY[${(VOLATILE[table] ?? []).map((c) => `'${c}'`).join(',')}]::text[])::text`;
    return `SELECT '${table}' AS t, count(*)::int AS n, md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS h FROM ${table} x WHERE ${where}`;
  })
  .join(' UNION ALL ');

const snapshot = async (): Promise<Record<string, string>> => {
  const rows: Array<{ t: string; n: number; h: string }> = await t.dataSource.query(snapshotSql, [companyId]);
  return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
};

const changedTables = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).filter((k) => a[k] !== b[k]);

// ---------------------------------------------------------------------------------------------

describe('the OpenAPI-driven fuzzer', () => {
  it(`answers ${RUNS} generated and mutated requests without a 5xx, slowly, or a change from a refused write`, async () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(30);
    const started = Date.now();
    let known: Record<string, string> | undefined;
    const timing = { generate: 0, snapshots: 0, requests: 0 };
    let tEnd = Date.now();
    const stats = { requests: 0, byStatus: new Map<number, number>(), slowest: 0 };
    await fc.assert(
      fc.asyncProperty(fc.oneof(...ops.map(requestFor)), async (r) => {
        const tGen = Date.now();
        timing.generate += tGen - tEnd;
        const headers: Record<string, string> = { ...r.headers };
        if (r.auth === 'bearer') headers.authorization = `Bearer ${adminToken}`;
        if (r.auth === 'session') {
          headers.cookie = admin.rawCookieHeader()!;
          if (r.method !== 'GET') headers['x-csrf-token'] = admin.csrf!;
        }
        // Only the fuzzer's own requests change rows, so the last snapshot stays valid until one succeeds.
        const compare = r.method !== 'GET';
        if (compare) known ??= await snapshot();
        const before = compare ? known : undefined;
        timing.snapshots += Date.now() - tGen;
        const t0 = Date.now();
        const res = await fetch(t.url + r.url, {
          method: r.method,
          headers,
          ...(r.data === undefined ? {} : { body: r.data }),
        });
        const text = await res.text();
        const ms = Date.now() - t0;
        stats.requests++;
        timing.requests += ms;
        stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
        stats.slowest = Math.max(stats.slowest, ms);
        if (process.env.FUZZ_TRACE)
          process.stdout.write(`${stats.requests} ${ms}ms ${res.status} ${r.method} ${r.url.slice(0, 80)}\n`);
        const label = `${r.method} ${r.url.slice(0, 300)} [${r.auth}, ${JSON.stringify(r.headers)}] → ${res.status} ${text.slice(0, 300)}`;
        expect(res.status, label).toBeLessThan(500);
        expect(ms, label).toBeLessThan(SLOW_MS);
        if (res.status >= 400) {
          expect(res.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
          if (before) expect(changedTables(before, await snapshot()), label).toEqual([]);
        } else if (compare) {
          known = undefined;
        }
        tEnd = Date.now();
      }),
      {
        seed: SEED,
        numRuns: RUNS,
        endOnFailure: true,
        // The counterexample can be megabytes of generated body: report its first part only.
        reporter: (out) => {
          if (out.failed)
            throw new Error(
              `fuzzer failed after ${out.numRuns} requests (seed ${out.seed}): ${String(out.errorInstance).slice(0, 2000)}`,
            );
        },
      },
    );
    // The admin session survived the run, so requests kept reaching the routes behind it.
    expect((await admin.get('/api/v1/me')).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const seconds = (Date.now() - started) / 1000;
    // One line for the record: how many requests, how long, and what they were answered with.
    process.stdout.write(
      `fuzzer: ${stats.requests} requests in ${seconds.toFixed(1)} s, slowest ${stats.slowest} ms (ms spent: ${JSON.stringify(timing)}), statuses ${JSON.stringify(Object.fromEntries([...stats.byStatus].sort()))}\n`,
    );
  }, 120_000);
});
