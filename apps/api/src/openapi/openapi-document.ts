/**
 * The OpenAPI 3.1 description of `/api/v1`, generated with `zod-openapi` from the operation table
 * (`api-operations.ts`): request bodies, parameters and responses are the very zod schemas the
 * routers validate with and the API serializes its responses through, so the document cannot drift
 * from the code. `npm run gen:openapi` writes it to `apps/api/openapi.json` for the console's types.
 */
import { SECRET_TAGS_MAX, SECRET_VALUE_MAX_BYTES, secretValueSchema, tagsSchema } from '@nembl/core';
import { ACTIONS, CONDITION_OPERATORS, MAX_STATEMENTS } from '@nembl/policy';
import { z } from 'zod';
import { createDocument, type ZodOpenApiObject } from 'zod-openapi';
import { SESSION_COOKIE } from '../auth/auth-middleware.js';
import { secretReferenceSchema } from '../bindings/visibility-fns.js';
import { meSchema } from '../auth/auth-router.js';
import { DEFAULT_LIMIT } from '../http/pagination.js';
import { problemSchema } from '../http/problem.js';
import { MAX_PAGE_LIMIT } from '../http/response-schemas.js';
import { boundResourceViewSchema, ownersSchema } from '../secrets/secret-types.js';
import { emailSchema, rolesSchema } from '../users/user-types.js';
import {
  API_OPERATIONS,
  connectorBaseUrlSchema,
  parameters,
  requestBodies,
  security,
  workflowEnvSchema,
  type Json,
  type Op,
} from './api-operations.js';

const BODY_LIMIT_BYTES = 1024 * 1024;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const object = (
  properties: Record<string, Json>,
  required: string[] = Object.keys(properties),
  extra: Json = {},
): Json => ({
  type: 'object',
  properties,
  required,
  ...extra,
});
const stringList: Json = { type: 'array', items: { type: 'string' } };
const json = (schema: unknown): Json => ({ 'application/json': { schema } });

/** Request bodies get their component names without changing the routers' schemas. */
const namedBodies = new Map<z.ZodType, z.ZodType>(
  Object.entries(requestBodies).map(([id, schema]) => [schema, schema.meta({ id })]),
);
const refinedBodies = new Set<unknown>(
  [requestBodies.PatchSecretRequest, requestBodies.UpdateUserRequest, requestBodies.PatchConnectorRequest].map((s) =>
    namedBodies.get(s),
  ),
);

/** The same schema, or a copy of it made by `.meta()` (which shares the definition). */
const sameSchema = (a: unknown, b: z.ZodType): boolean =>
  a === b || (a as z.ZodType | undefined)?._zod?.def === b._zod.def;
/** Unions whose shapes exclude each other, documented as `oneOf`. */
const EXCLUSIVE_UNIONS: z.ZodType[] = [meSchema, boundResourceViewSchema, secretReferenceSchema];

/**
 * What JSON Schema cannot say by itself: refinements (byte limits, "nothing to change", tag count)
 * and normalizing transforms. Matched by schema identity, so it follows the shared schemas.
 */
const annotate = (ctx: { zodSchema: unknown; jsonSchema: Json; io: 'input' | 'output' }): void => {
  const s = ctx.zodSchema;
  const js = ctx.jsonSchema;
  // The formats say it; zod's long regular expressions for them only clutter the document.
  if (typeof js.format === 'string' && ['date-time', 'uuid', 'email'].includes(js.format)) delete js.pattern;
  // Unions whose shapes exclude each other (`user` is null for a token; a hidden item has no id).
  if (EXCLUSIVE_UNIONS.some((u) => sameSchema(s, u)) && Array.isArray(js.anyOf)) {
    js.oneOf = js.anyOf;
    delete js.anyOf;
  }
  // `z.int()` bounds itself to safe integers; saying so adds nothing.
  if (js.maximum === Number.MAX_SAFE_INTEGER) delete js.maximum;
  if (js.minimum === Number.MIN_SAFE_INTEGER) delete js.minimum;
  // A default over a transform (e.g. `rolesSchema.default([])`) loses its `default` keyword.
  if (s instanceof z.ZodDefault && js.default === undefined) js.default = s.def.defaultValue;
  if (s === secretValueSchema) {
    Object.assign(js, {
      minLength: 1,
      // JSON Schema counts characters; every character is at least one UTF-8 byte, so this bound
      // is implied by the real one, which is enforced in bytes.
      maxLength: SECRET_VALUE_MAX_BYTES,
      'x-max-bytes': SECRET_VALUE_MAX_BYTES,
      writeOnly: true,
      description:
        `The secret value: 1 to ${SECRET_VALUE_MAX_BYTES.toLocaleString('en-US')} bytes of UTF-8 ` +
        '(longer → 400 naming `value`). Write-only: no metadata endpoint ever returns it, and error ' +
        'messages never quote it.',
    });
  } else if (s === emailSchema) {
    Object.assign(js, { format: 'email', description: 'Trimmed and lower-cased before use.' });
  } else if (s === tagsSchema) {
    Object.assign(js, {
      maxProperties: SECRET_TAGS_MAX,
      description:
        `At most ${SECRET_TAGS_MAX} user tags. Keys are 1–128 chars of lowercase letters, digits and \`_ . / -\` ` +
        '(no `:`), and may not start with `aws`; values are 0–256 chars.',
    });
  } else if (s === rolesSchema) {
    js.description = 'Role or group names; duplicates are ignored.';
  } else if (s === ownersSchema) {
    js.description = 'User ids of this company (unknown ids → 400 naming `owners[i]`); duplicates are ignored.';
  } else if (s === connectorBaseUrlSchema) {
    Object.assign(js, {
      format: 'uri',
      description:
        'http(s) URL without credentials. Default for github `https://api.github.com`, for slack `https://slack.com/api`; ' +
        'required for jira and http. A host resolving into NEMBL_CONNECTOR_BLOCKED_CIDRS → 400 (loopback and private ranges are allowed).',
    });
  } else if (s === workflowEnvSchema) {
    Object.assign(js, {
      maxProperties: 200,
      description:
        'Variable name → a literal, or `secret:<name>` to inject that secret at run time (each referenced secret needs ' +
        '`secrets:use`; a missing one → 422 naming it). At most 200 variables.',
    });
  } else if (refinedBodies.has(s)) {
    Object.assign(js, {
      minProperties: 1,
      description: 'At least one field (an empty body → 400 "nothing to change").',
    });
  }
};

const policyStatement: Json = object(
  {
    sid: {
      type: 'string',
      minLength: 1,
      maxLength: 128,
      pattern: '^[A-Za-z0-9_-]+$',
      description: 'Unique within the document.',
    },
    effect: { type: 'string', enum: ['allow', 'deny'] },
    actions: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', examples: [...ACTIONS, 'secrets:*', '*'] },
      description: `Action names (${ACTIONS.join(', ')}); \`*\` and \`?\` globs allowed.`,
    },
    principals: { oneOf: [{ const: '*' }, ref('PolicyDocumentPrincipals')] },
    notPrincipals: ref('PolicyDocumentPrincipals'),
    resources: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', examples: ['*', 'secret:prod-*', 'connector:*', 'workflow:deploy-*'] },
      description: 'Default `["*"]`; `secret:<name glob>`, `connector:<name glob>`, `workflow:<name glob>` or `*`.',
    },
    conditions: {
      type: 'object',
      description:
        '`{ Operator: { key: value | [values] } }`. Keys: `resource.kind`, `resource.name`, `resource.secretType`, ' +
        '`resource.tag/<key>`, `principal.id`, `principal.type`, `principal.roles`, `principal.groups`, `request.tag/<key>`.',
      propertyNames: { enum: [...CONDITION_OPERATORS] },
      additionalProperties: {
        type: 'object',
        minProperties: 1,
        additionalProperties: {
          oneOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', minItems: 1, items: { type: 'string' } }],
        },
      },
    },
  },
  ['effect', 'actions', 'principals'],
  { additionalProperties: false },
);

/** Policy documents are checked by `parsePolicyDocument` (packages/policy), not zod: described here. */
const policyDocumentSchemas: Record<string, Json> = {
  PolicyDocumentPrincipals: object(
    { users: stringList, tokens: stringList, roles: stringList, groups: stringList },
    [],
    {
      additionalProperties: false,
      minProperties: 1,
      description: 'Matches if any listed item matches; must name at least one.',
    },
  ),
  PolicyDocumentStatement: policyStatement,
  PolicyDocument: object(
    {
      name: { type: 'string', minLength: 1, maxLength: 128 },
      description: { type: 'string', maxLength: 1024 },
      statements: { type: 'array', minItems: 1, maxItems: MAX_STATEMENTS, items: ref('PolicyDocumentStatement') },
    },
    ['name', 'statements'],
    {
      additionalProperties: false,
      description: 'A policy document (`policy.md`). Invalid → 400 with `errors[]` naming the statement and field.',
    },
  ),
};

const deleteNotConfirmedSchema = problemSchema
  .extend({
    boundResources: z
      .array(boundResourceViewSchema)
      .optional()
      .meta({ description: 'On the review step: every resource the delete would break.' }),
  })
  .meta({ id: 'DeleteNotConfirmedProblem', description: 'The review step of a delete: what would break.' });

const problemContent = (schema: unknown = problemSchema): Json => ({ 'application/problem+json': { schema } });

const headers: Record<string, Json> = {
  XRequestId: { description: 'Request id (echoes a valid incoming `X-Request-Id`).', schema: { type: 'string' } },
  Location: {
    description: 'The operation to poll: `/api/v1/operations/{id}`.',
    schema: { type: 'string', format: 'uri-reference' },
  },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
  SetSession: {
    description: `The session cookie \`${SESSION_COOKIE}\` (httpOnly, SameSite=Strict, Secure on https).`,
    schema: { type: 'string' },
  },
};
const requestIdHeader = { 'X-Request-Id': { $ref: '#/components/headers/XRequestId' } };
const retryAfterHeader = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };

/** Error responses by status, shared by every operation. */
const problemResponses: Record<number, { name: string; description: string; headers?: Json }> = {
  400: {
    name: 'BadRequest',
    description: 'Invalid input; `errors[]` names each bad field (`path` with dots and brackets).',
  },
  401: { name: 'Unauthorized', description: 'No or bad credentials (missing, expired or revoked session or token).' },
  403: {
    name: 'Forbidden',
    description:
      'Denied by policy (`detail` names the action), or a cookie-authenticated write without a valid `X-CSRF-Token`.',
  },
  404: {
    name: 'NotFound',
    description: "Not found — including another company's resource, and secrets the caller may not `secrets:read`.",
  },
  409: {
    name: 'Conflict',
    description: 'Conflict: duplicate name, operation in progress, or a rule such as "the last Admin".',
  },
  410: { name: 'Gone', description: 'The run has expired.' },
  413: { name: 'PayloadTooLarge', description: `Request body over ${BODY_LIMIT_BYTES} bytes (1 MiB).` },
  415: {
    name: 'UnsupportedMediaType',
    description: 'A `Content-Encoding` other than identity, gzip, deflate or br, or a charset other than UTF-8 (`errors[]` names `Content-Encoding`).',
  },
  422: {
    name: 'Unprocessable',
    description: 'Semantically invalid, e.g. a reference to a missing secret, user or token (`errors[]` names it).',
  },
  429: { name: 'TooManyRequests', description: 'Rate limited.', headers: retryAfterHeader },
  503: {
    name: 'Unavailable',
    description: 'A dependency (Postgres, Redis, the secret store) is down.',
    headers: retryAfterHeader,
  },
};

const responses: Record<string, Json> = Object.fromEntries([
  ...Object.values(problemResponses).map((r) => [
    r.name,
    { description: r.description, headers: { ...requestIdHeader, ...(r.headers ?? {}) }, content: problemContent() },
  ]),
  [
    'InternalError',
    {
      description: 'Unexpected error (no stack trace; the request id finds it in the logs).',
      headers: requestIdHeader,
      content: problemContent(),
    },
  ],
  [
    'DeleteNotConfirmed',
    {
      description:
        'Conflict: without a `confirm` equal to the name this is the review step, listing `boundResources`; also when an operation is in progress.',
      headers: requestIdHeader,
      content: problemContent(deleteNotConfirmedSchema),
    },
  ],
]);

/** Status codes every authenticated request can get. */
const AUTHED = [401, 429, 503];

const operation = (op: Op): Json => {
  const errs = new Set(op.errors);
  if (op.access !== 'public' && op.access !== 'optionalSession') for (const s of AUTHED) errs.add(s);
  if (op.access === 'write' || op.access === 'sessionWrite' || op.access === 'machine') errs.add(403);
  if (op.body) {
    errs.add(400);
    errs.add(413);
    errs.add(415);
  }
  const out: Record<string, Json> = {};
  for (const [status, s] of Object.entries(op.success)) {
    out[status] = {
      description: s.description,
      headers: { ...requestIdHeader, ...(s.headers ?? {}) },
      ...(s.schema ? { content: json(s.schema) } : s.content ? { content: s.content } : {}),
    };
  }
  for (const status of [...errs].sort((a, b) => a - b)) {
    const p = problemResponses[status];
    if (!p) throw new Error(`no problem response for ${status}`);
    out[String(status)] ??= { $ref: `#/components/responses/${op.errorResponses?.[status] ?? p.name}` };
  }
  out.default = { $ref: '#/components/responses/InternalError' };
  return {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    security: security[op.access],
    ...(op.action ? { 'x-action': op.action } : {}),
    ...(op.planned ? { 'x-status': 'planned' } : {}),
    ...(op.parameters?.length ? { parameters: op.parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required ?? true,
            ...(op.body.description ? { description: op.body.description } : {}),
            content: json(namedBodies.get(op.body.schema as z.ZodType) ?? op.body.schema),
          },
        }
      : {}),
    responses: out,
  };
};

const DESCRIPTION = `The Nembl Secrets HTTP API (contract: \`api.md\`). JSON in and out, UTF-8; times are ISO 8601 UTC.

**Authentication.** Console users sign in with \`POST /auth/login\` (or \`/auth/signup\`), which sets the httpOnly,
SameSite=Strict session cookie \`${SESSION_COOKIE}\`. Every cookie-authenticated request other than GET/HEAD must send
\`X-CSRF-Token\` with the token from \`GET /auth/csrf\` (missing or wrong → 403). Machines send
\`Authorization: Bearer <service token>\` and need no CSRF token. No or bad credentials → 401.

**Values are never returned** by any metadata endpoint: the \`Secret\` object has no value field. Only
\`POST /runs/{runId}/phases/{phase}/env\` and \`POST /connectors/{id}/credentials\` return values, to service tokens only.

**Errors** are \`application/problem+json\` (\`Problem\`). Checks run in the order 401 → 400/413 → 404 → 403 → 409 → 422.
Bodies over 1 MiB → 413; a secret value over ${SECRET_VALUE_MAX_BYTES} UTF-8 bytes → 400 naming \`value\`. Another company's resource → 404.

**Pagination.** \`?limit=\` (1–${MAX_PAGE_LIMIT}, default ${DEFAULT_LIMIT}) and opaque \`?cursor=\`; responses \`{ items, nextCursor }\`.

**Secret writes** answer \`{ secret, operation }\` (DELETE: \`{ operation }\`): 201/200 when the store operation succeeded
within NEMBL_WRITE_WAIT_MS, else 202 with \`Location: /api/v1/operations/{id}\`.

Every response carries \`X-Request-Id\`. \`x-action\` names the policy action an operation checks; an operation marked
\`x-status: planned\` (none at present) would be in the contract but not built yet.

Outside \`/api/v1\` and not described here: \`GET /healthz\` (process alive), \`GET /readyz\` (Postgres, Redis and the
secret store reachable; 503 otherwise), \`GET /metrics\` (Prometheus text). The health endpoints need no authentication.`;

/** Builds the whole document. Pure; callers cache it (the router builds it once at startup). */
export const buildOpenApiDocument = (): Json =>
  createDocument(
    {
      openapi: '3.1.1',
      info: {
        title: 'Nembl Secrets API',
        version: '1.0.0',
        description: DESCRIPTION,
      },
      servers: [{ url: '/api/v1' }],
      tags: [
        { name: 'Auth', description: 'Sessions, CSRF and the caller.' },
        { name: 'Users', description: 'People of the company.' },
        { name: 'Tokens', description: 'Service tokens for machines.' },
        { name: 'Secrets', description: 'Secret metadata, values (write-only) and write operations.' },
        { name: 'Policies', description: 'Access policies (`policy.md`).' },
        { name: 'Audit', description: 'The hash-chained audit log.' },
        { name: 'Connectors', description: 'External APIs called with a secret injected.' },
        { name: 'Workflows', description: 'Workflows, runs and runtime injection.' },
      ],
      security: security.read,
      paths: Object.fromEntries(
        Object.entries(API_OPERATIONS).map(([path, ops]) => [
          path,
          Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, operation(op)])),
        ]),
      ),
      components: {
        schemas: policyDocumentSchemas,
        responses,
        parameters,
        headers,
        securitySchemes: {
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: SESSION_COOKIE,
            description: 'Console session, set by `POST /auth/login` or `/auth/signup`.',
          },
          csrf: {
            type: 'apiKey',
            in: 'header',
            name: 'X-CSRF-Token',
            description:
              'From `GET /auth/csrf`; required with the session cookie on every request other than GET/HEAD.',
          },
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'Service token (`nmbl_…`), created with `POST /tokens`. No CSRF token needed.',
          },
        },
      },
    } as unknown as ZodOpenApiObject,
    { override: (ctx) => annotate(ctx as unknown as { zodSchema: unknown; jsonSchema: Json; io: 'input' | 'output' }) },
  ) as unknown as Json;
