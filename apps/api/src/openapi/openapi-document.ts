/**
 * The OpenAPI 3.1 description of `/api/v1` (the HTTP contract, `api.md`).
 *
 * Request bodies, query and path parameters are generated with `z.toJSONSchema` from the very zod
 * schemas the routers validate with, so the document cannot drift from validation. Response shapes
 * come from the `*Json` mappers, which are TypeScript types rather than schemas, so they are
 * written here by hand (with the enums and patterns imported from the code that defines them).
 * An endpoint of the contract whose code does not exist yet would carry `x-status: planned`
 * (`Op.planned`); the test fails when a served route is undocumented or still marked planned.
 */
import {
  descriptionSchema,
  OPERATION_KINDS,
  SECRET_STATUSES,
  SECRET_TAGS_MAX,
  SECRET_VALUE_MAX_BYTES,
  secretNameSchema,
  secretTypeSchema,
  secretValueSchema,
  tagsSchema,
} from '@nembl/core';
import { ACTIONS, CONDITION_OPERATORS, MAX_STATEMENTS } from '@nembl/policy';
import { z } from 'zod';
import { auditExportQuery, auditListQuery } from '../audit/audit-types.js';
import { permissionChecksSchema } from '../permissions/permission-types.js';
import { SESSION_COOKIE } from '../auth/auth-middleware.js';
import { changePasswordSchema, loginSchema, signupSchema } from '../auth/auth-router.js';
import { configSchemas, CONNECTOR_KINDS, createConnectorSchema, patchConnectorSchema } from '../connectors/connector-types.js';
import { DEFAULT_LIMIT } from '../http/pagination.js';
import { simulateSchema } from '../policies/policy-router.js';
import { deleteBody, listQuery, operationListQuery } from '../secrets/secret-router.js';
import {
  createSecretSchema,
  nameParams,
  ownersSchema,
  patchSecretSchema,
  putValueSchema,
  reminderSchema,
} from '../secrets/secret-types.js';
import { createTokenSchema } from '../tokens/token-router.js';
import { createUserSchema, emailSchema, rolesSchema, updateUserSchema, uuidSchema } from '../users/user-types.js';
import { workflowSchema } from '../workflows/workflow-types.js';
import { envResolveSchema } from '../runs/env-router.js';

type Json = Record<string, unknown>;

const MAX_PAGE_LIMIT = 200;
const BODY_LIMIT_BYTES = 1024 * 1024;

/** Inner schemas the routers do not export by name, reached through the exported ones. */
const connectorBaseUrlSchema = configSchemas.jira.shape.baseUrl;
const workflowEnvSchema = workflowSchema.shape.phases.element.shape.env.def.innerType;

// ---------------------------------------------------------------------------------------------
// zod → JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1)
// ---------------------------------------------------------------------------------------------

/**
 * What JSON Schema cannot say by itself: refinements (byte limits, "nothing to change", tag count)
 * and normalizing transforms. Matched by schema identity, so it follows the shared schemas.
 */
const annotate = (ctx: { zodSchema: unknown; jsonSchema: Json }): void => {
  const s = ctx.zodSchema;
  const js = ctx.jsonSchema;
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
  } else if (s === patchSecretSchema || s === updateUserSchema || s === patchConnectorSchema) {
    Object.assign(js, { minProperties: 1, description: 'At least one field (an empty body → 400 "nothing to change").' });
  }
};

/** JSON Schema of a zod schema, without `$schema` (it is embedded in the document). */
const fromZod = (schema: z.ZodType, io: 'input' | 'output' = 'input'): Json => {
  const generated = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    override: (ctx) => annotate(ctx as unknown as { zodSchema: unknown; jsonSchema: Json }),
  }) as Json;
  const { $schema: _dialect, ...rest } = generated;
  return rest;
};

const propertiesOf = (schema: Json): Record<string, Json> => (schema.properties ?? {}) as Record<string, Json>;

// ---------------------------------------------------------------------------------------------
// Small builders
// ---------------------------------------------------------------------------------------------

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });
const nullable = (schema: Json): Json => ({ anyOf: [schema, { type: 'null' }] });
const dateTime: Json = { type: 'string', format: 'date-time' };
const nullableDateTime: Json = { type: ['string', 'null'], format: 'date-time' };
const uuid: Json = { type: 'string', format: 'uuid' };
const stringList: Json = { type: 'array', items: { type: 'string' } };
const object = (properties: Record<string, Json>, required: string[] = Object.keys(properties), extra: Json = {}): Json => ({
  type: 'object',
  properties,
  required,
  ...extra,
});
const json = (schema: Json): Json => ({ 'application/json': { schema } });

// ---------------------------------------------------------------------------------------------
// Components
// ---------------------------------------------------------------------------------------------

const secretStatuses = SECRET_STATUSES.filter((s) => s !== 'deleted');

const BOUND_KINDS = ['connector', 'workflow_phase'];

/** What a reference to something the caller may not read shows instead of its name. */
const hiddenReference = (kinds: string[], what: string): Json =>
  object(
    { kind: { type: 'string', enum: kinds }, hidden: { type: 'boolean', const: true } },
    undefined,
    { title: 'Hidden', description: `${what} No id, name or detail.`, additionalProperties: false },
  );

const boundResource: Json = {
  oneOf: [
    object(
      {
        kind: { type: 'string', enum: BOUND_KINDS },
        id: uuid,
        name: { type: 'string' },
        detail: { type: 'string' },
      },
      undefined,
      { title: 'Named' },
    ),
    hiddenReference(
      BOUND_KINDS,
      'A connector (needs `connectors:read`) or workflow (needs `workflows:read`) the caller may not read; one item per such resource, after the named ones.',
    ),
  ],
  description: 'A connector or workflow phase that uses the secret.',
};

const hiddenSecret = hiddenReference(['secret'], 'A secret the caller may not `secrets:read`.');

const policyStatement: Json = object(
  {
    sid: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'Unique within the document.' },
    effect: { type: 'string', enum: ['allow', 'deny'] },
    actions: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', examples: [...ACTIONS, 'secrets:*', '*'] },
      description: `Action names (${ACTIONS.join(', ')}); \`*\` and \`?\` globs allowed.`,
    },
    principals: { oneOf: [{ const: '*' }, ref('PrincipalSet')] },
    notPrincipals: ref('PrincipalSet'),
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
        additionalProperties: { oneOf: [{ type: 'string' }, { type: 'boolean' }, { type: 'array', minItems: 1, items: { type: 'string' } }] },
      },
    },
  },
  ['effect', 'actions', 'principals'],
  { additionalProperties: false },
);

const schemas: Record<string, Json> = {
  // --- errors and pages ---
  FieldError: object({
    path: { type: 'string', description: 'Dots and brackets: `tags.environment`, `statements[2].conditions`.' },
    message: { type: 'string' },
  }),
  Problem: object(
    {
      type: {
        type: 'string',
        format: 'uri-reference',
        description: 'Stable per kind: `/problems/validation`, `/problems/unauthorized`, `/problems/forbidden`, `/problems/not-found`, `/problems/conflict`, `/problems/payload-too-large`, `/problems/unsupported-media-type`, `/problems/unprocessable`, `/problems/rate-limited`, `/problems/unavailable`, `/problems/internal`.',
      },
      title: { type: 'string' },
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: { type: 'string', description: 'Human-readable; for 403 it names the denied action. Never a stack trace or a value.' },
      errors: { type: 'array', items: ref('FieldError') },
      requestId: { type: 'string', description: 'Same as the `X-Request-Id` response header.' },
    },
    ['type', 'title', 'status', 'detail', 'requestId'],
    { description: 'RFC 9457 problem details (`application/problem+json`).' },
  ),
  DeleteNotConfirmedProblem: {
    allOf: [
      ref('Problem'),
      object({ boundResources: { type: 'array', items: ref('BoundResource') } }, ['boundResources']),
    ],
    description: 'The review step of a delete: what would break.',
  },
  Page: object(
    {
      items: { type: 'array', items: {} },
      nextCursor: { type: ['string', 'null'], description: 'Pass as `?cursor=` for the next page; null on the last page.' },
    },
    undefined,
    { description: `A page of results (\`?limit=\` 1–${MAX_PAGE_LIMIT}, default ${DEFAULT_LIMIT}; opaque \`?cursor=\`).` },
  ),
  UserPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('User') } })] },
  TokenPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('Token') } })] },
  SecretPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('Secret') } })] },
  PolicyPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('Policy') } })] },
  AuditEventPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('AuditEvent') } })] },
  ConnectorPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('Connector') } })] },
  WorkflowPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('Workflow') } })] },

  // --- identity ---
  Company: object({ id: uuid, name: { type: 'string' }, createdAt: dateTime }),
  User: object({
    id: uuid,
    email: { type: 'string', format: 'email' },
    name: { type: 'string' },
    roles: stringList,
    groups: stringList,
    createdAt: dateTime,
  }),
  Session: object({ user: ref('User'), company: ref('Company') }),
  Me: {
    oneOf: [
      object(
        { user: ref('User'), company: ref('Company'), roles: stringList, groups: stringList },
        undefined,
        { title: 'Signed-in user' },
      ),
      object(
        {
          user: { type: 'null' },
          token: object({ id: uuid, name: { type: 'string' } }),
          company: ref('Company'),
          roles: stringList,
          groups: stringList,
        },
        undefined,
        { title: 'Service token' },
      ),
    ],
  },
  Token: object(
    {
      id: uuid,
      name: { type: 'string' },
      roles: stringList,
      groups: stringList,
      createdAt: dateTime,
      createdBy: { type: ['string', 'null'], format: 'uuid', description: 'Id of the user that created it (null when a token did). Removing that user revokes the token.' },
      createdByToken: {
        type: ['string', 'null'],
        format: 'uuid',
        description: 'Id of the token that created it (null when a user did). Revoking that token revokes this one; it never expires after it.',
      },
      expiresAt: nullableDateTime,
      lastUsedAt: nullableDateTime,
    },
    undefined,
    { description: 'A service token. The token string itself is never shown again after creation (stored hashed).' },
  ),
  CreatedToken: {
    allOf: [
      ref('Token'),
      object({ token: { type: 'string', description: 'The bearer token (`nmbl_…`), shown once.' } }),
    ],
  },

  // --- secrets ---
  BoundResource: boundResource,
  Secret: object(
    {
      id: uuid,
      name: fromZod(secretNameSchema, 'output'),
      path: { type: 'string', description: 'Location in the secret store: `nembl/{companyId}/{name}`.' },
      type: fromZod(secretTypeSchema, 'output'),
      description: fromZod(descriptionSchema, 'output'),
      tags: fromZod(tagsSchema, 'output'),
      status: {
        type: 'string',
        enum: secretStatuses,
        description: '`pending` (create in flight) · `active` · `deleting` · `failed` (create failed).',
      },
      version: { type: 'integer', minimum: 0 },
      createdAt: dateTime,
      createdBy: object({ id: { type: ['string', 'null'], format: 'uuid' }, name: { type: 'string' } }),
      lastRotatedAt: nullableDateTime,
      owners: { type: 'array', items: object({ id: uuid, email: { type: 'string', format: 'email' } }) },
      reminder: nullable(
        object({
          intervalDays: { type: 'integer', minimum: 1, maximum: 3650 },
          nextDueAt: nullableDateTime,
          lastSentAt: nullableDateTime,
          lastError: { type: ['string', 'null'] },
        }),
      ),
      boundResources: { type: 'array', items: ref('BoundResource') },
    },
    undefined,
    {
      additionalProperties: false,
      description: 'Secret metadata. There is no value field, in any response: values are for machines only.',
    },
  ),
  SecretVersion: object({
    version: { type: 'integer' },
    createdAt: dateTime,
    createdBy: object({ id: { type: ['string', 'null'], format: 'uuid' }, name: { type: 'string' } }),
  }),
  SecretDetail: object({ secret: ref('Secret'), versions: { type: 'array', items: ref('SecretVersion') } }),
  Operation: object(
    {
      id: uuid,
      kind: { type: 'string', enum: [...OPERATION_KINDS] },
      secretName: { type: 'string' },
      status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] },
      error: object({ code: { type: 'string' }, message: { type: 'string' } }, undefined, {
        description: 'Present when the operation failed.',
      }),
      createdAt: dateTime,
      finishedAt: nullableDateTime,
    },
    ['id', 'kind', 'secretName', 'status', 'createdAt', 'finishedAt'],
    { description: 'An asynchronous write to the secret store.' },
  ),
  OperationPage: { allOf: [ref('Page'), object({ items: { type: 'array', items: ref('Operation') } })] },
  SecretWrite: object({ secret: ref('Secret'), operation: ref('Operation') }),
  SecretDelete: object({ operation: ref('Operation') }),

  // --- policies ---
  PrincipalSet: object(
    { users: stringList, tokens: stringList, roles: stringList, groups: stringList },
    [],
    { additionalProperties: false, minProperties: 1, description: 'Matches if any listed item matches; must name at least one.' },
  ),
  PolicyStatement: policyStatement,
  PolicyDocument: object(
    {
      name: { type: 'string', minLength: 1, maxLength: 128 },
      description: { type: 'string', maxLength: 1024 },
      statements: { type: 'array', minItems: 1, maxItems: MAX_STATEMENTS, items: ref('PolicyStatement') },
    },
    ['name', 'statements'],
    {
      additionalProperties: false,
      description: 'A policy document (`policy.md`). Invalid → 400 with `errors[]` naming the statement and field.',
    },
  ),
  Policy: object({
    id: uuid,
    name: { type: 'string' },
    description: { type: 'string' },
    statements: { type: 'array', items: ref('PolicyStatement') },
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
  Decision: object({
    decision: { type: 'string', enum: ['allow', 'deny'] },
    reason: { type: 'string', enum: ['explicit_allow', 'explicit_deny', 'implicit_deny'] },
    matched: {
      type: 'array',
      items: object({ policyId: { type: 'string' }, policyName: { type: 'string' }, sid: { type: 'string' } }),
    },
  }),

  // --- request bodies, generated from the routers' zod schemas ---
  SignupRequest: fromZod(signupSchema),
  LoginRequest: fromZod(loginSchema),
  ChangePasswordRequest: fromZod(changePasswordSchema),
  CreateUserRequest: fromZod(createUserSchema),
  UpdateUserRequest: fromZod(updateUserSchema),
  CreateTokenRequest: fromZod(createTokenSchema),
  CreateSecretRequest: fromZod(createSecretSchema),
  PatchSecretRequest: fromZod(patchSecretSchema),
  PutSecretValueRequest: fromZod(putValueSchema),
  DeleteSecretRequest: fromZod(deleteBody),
  ReminderRequest: fromZod(reminderSchema),
  SimulateRequest: fromZod(simulateSchema),
  PermissionsRequest: fromZod(permissionChecksSchema),

  // --- audit ---
  AuditEvent: object(
    {
      id: uuid,
      at: dateTime,
      actor: object({
        type: { type: 'string', enum: ['user', 'token', 'system'] },
        id: { type: ['string', 'null'] },
        label: { type: 'string' },
      }),
      action: { type: 'string' },
      resource: object({ kind: { type: 'string' }, name: { type: ['string', 'null'] } }),
      decision: { type: 'string', enum: ['allow', 'deny'] },
      reason: { type: 'string' },
      count: { type: 'integer', minimum: 1, description: 'More than 1 when repeats within a short window were collapsed.' },
      operationId: { type: ['string', 'null'], format: 'uuid' },
      requestId: { type: 'string' },
      ip: { type: ['string', 'null'] },
      userAgent: { type: ['string', 'null'] },
      hash: { type: 'string', description: "SHA-256 (hex) of `prevHash` and the event: a link of the company's hash chain." },
      prevHash: { type: 'string', description: 'The previous event\'s `hash` (a fixed genesis hash for the first event).' },
    },
    ['id', 'at', 'actor', 'action', 'resource', 'decision', 'reason', 'count', 'requestId', 'ip', 'userAgent', 'hash', 'prevHash'],
    { description: 'An audit event (never a value). `operationId` only when the event belongs to a secret write.' },
  ),
  PermissionResults: object({
    results: {
      type: 'array',
      description: 'One result per check, in the order of the checks.',
      items: object(
        {
          action: { type: 'string' },
          secret: { type: 'string', description: 'Echoes the check\'s `secret`, when it named one.' },
          allowed: { type: 'boolean' },
          reason: { type: 'string', enum: ['explicit_allow', 'explicit_deny', 'implicit_deny'] },
        },
        ['action', 'allowed', 'reason'],
      ),
    },
  }),
  AuditVerification: object({
    ok: { type: 'boolean' },
    checked: { type: 'integer', minimum: 0 },
    firstBadEventId: { type: ['string', 'null'], format: 'uuid' },
  }),

  // --- connectors ---
  CreateConnectorRequest: fromZod(createConnectorSchema),
  PatchConnectorRequest: fromZod(patchConnectorSchema),
  Connector: object({
    id: uuid,
    name: { type: 'string' },
    kind: { type: 'string', enum: [...CONNECTOR_KINDS] },
    config: {
      type: 'object',
      properties: {
        baseUrl: { type: 'string', format: 'uri' },
        email: { type: 'string', description: 'jira: Basic auth as `email:<value>` (else Bearer).' },
        testPath: { type: 'string', description: 'http: path of the test call (default `/`).' },
        header: { type: 'string', description: 'http: credential header (default `Authorization`).' },
        scheme: { type: 'string', description: 'http: credential scheme (default `Bearer`).' },
      },
    },
    authSecret: {
      oneOf: [{ type: 'string', description: 'Name of the secret injected as the credential.' }, hiddenSecret],
      description: 'The secret injected as the credential: its name, or hidden when the caller may not `secrets:read` it.',
    },
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
  ConnectorTestResult: object(
    {
      ok: { type: 'boolean' },
      status: { type: 'integer', description: 'Upstream HTTP status (0 when unreachable).' },
      latencyMs: { type: 'number' },
      error: { type: 'string', description: 'Why the target could not be reached.' },
    },
    ['ok', 'status', 'latencyMs'],
    { description: 'The value is never echoed.' },
  ),
  ConnectorCredentials: object(
    {
      value: { type: 'string', description: 'The secret value (machines only).' },
      version: { type: 'integer' },
    },
    undefined,
    { description: 'One of the two responses that carry a secret value; service tokens only.' },
  ),

  // --- workflows and runs ---
  WorkflowRequest: fromZod(workflowSchema),
  Workflow: object({
    id: uuid,
    name: { type: 'string' },
    phases: {
      type: 'array',
      items: object({
        name: { type: 'string' },
        env: {
          type: 'object',
          additionalProperties: { oneOf: [{ type: 'string' }, hiddenSecret] },
          description: 'Variable name → literal or `secret:<name>`; a reference to a secret the caller may not `secrets:read` is shown hidden.',
        },
      }),
    },
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
  Run: object({
    id: uuid,
    workflowId: uuid,
    status: { type: 'string' },
    createdAt: dateTime,
    expiresAt: { ...dateTime, description: 'After NEMBL_RUN_TTL_HOURS; resolving env later → 410.' },
  }),
  RunEnv: object(
    {
      env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Variable name → value (secret values included).' },
      versions: {
        type: 'object',
        additionalProperties: object({ secret: { type: 'string' }, version: { type: 'integer' } }),
        description: 'Variable name → the secret version injected; the same for every call within one run.',
      },
    },
    undefined,
    { description: 'One of the two responses that carry secret values; service tokens only.' },
  ),
};

const problemContent = (schema: Json = ref('Problem')): Json => ({ 'application/problem+json': { schema } });

const headers: Record<string, Json> = {
  XRequestId: { description: 'Request id (echoes a valid incoming `X-Request-Id`).', schema: { type: 'string' } },
  Location: { description: 'The operation to poll: `/api/v1/operations/{id}`.', schema: { type: 'string', format: 'uri-reference' } },
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
  400: { name: 'BadRequest', description: 'Invalid input; `errors[]` names each bad field (`path` with dots and brackets).' },
  401: { name: 'Unauthorized', description: 'No or bad credentials (missing, expired or revoked session or token).' },
  403: {
    name: 'Forbidden',
    description: 'Denied by policy (`detail` names the action), or a cookie-authenticated write without a valid `X-CSRF-Token`.',
  },
  404: { name: 'NotFound', description: "Not found — including another company's resource, and secrets the caller may not `secrets:read`." },
  409: { name: 'Conflict', description: 'Conflict: duplicate name, operation in progress, or a rule such as "the last Admin".' },
  410: { name: 'Gone', description: 'The run has expired.' },
  413: { name: 'PayloadTooLarge', description: `Request body over ${BODY_LIMIT_BYTES} bytes (1 MiB).` },
  415: {
    name: 'UnsupportedMediaType',
    description: 'A `Content-Encoding` other than identity, gzip, deflate or br, or a charset other than UTF-8 (`errors[]` names `Content-Encoding`).',
  },
  422: { name: 'Unprocessable', description: 'Semantically invalid, e.g. a reference to a missing secret, user or token (`errors[]` names it).' },
  429: { name: 'TooManyRequests', description: 'Rate limited.', headers: retryAfterHeader },
  503: { name: 'Unavailable', description: 'A dependency (Postgres, Redis, the secret store) is down.', headers: retryAfterHeader },
};

const responses: Record<string, Json> = Object.fromEntries([
  ...Object.values(problemResponses).map((r) => [
    r.name,
    { description: r.description, headers: { ...requestIdHeader, ...(r.headers ?? {}) }, content: problemContent() },
  ]),
  ['InternalError', { description: 'Unexpected error (no stack trace; the request id finds it in the logs).', headers: requestIdHeader, content: problemContent() }],
  [
    'DeleteNotConfirmed',
    {
      description:
        'Conflict: without a `confirm` equal to the name this is the review step, listing `boundResources`; also when an operation is in progress.',
      headers: requestIdHeader,
      content: problemContent(ref('DeleteNotConfirmedProblem')),
    },
  ],
]);

const pathId = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: fromZod(uuidSchema),
});

const parameters: Record<string, Json> = {
  Limit: {
    name: 'limit',
    in: 'query',
    description: `Page size, 1–${MAX_PAGE_LIMIT} (default ${DEFAULT_LIMIT}); outside → 400.`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_LIMIT },
  },
  Cursor: {
    name: 'cursor',
    in: 'query',
    description: 'Opaque cursor from `nextCursor`; invalid → 400.',
    schema: { type: 'string', maxLength: 2048 },
  },
  SecretName: {
    name: 'name',
    in: 'path',
    required: true,
    description: 'Secrets are addressed by name within the company.',
    schema: propertiesOf(fromZod(nameParams)).name,
  },
  UserId: pathId('id', 'User id.'),
  TokenId: pathId('id', 'Token id.'),
  PolicyId: pathId('id', 'Policy id.'),
  OperationId: pathId('id', 'Operation id.'),
  ConnectorId: pathId('id', 'Connector id.'),
  WorkflowId: pathId('id', 'Workflow id.'),
  RunId: pathId('runId', 'Run id.'),
};
const param = (name: string): Json => ({ $ref: `#/components/parameters/${name}` });
const pagination = [param('Limit'), param('Cursor')];

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/**
 * - `public`: no credentials · `session`: cookie only (reads) · `read`: cookie or bearer ·
 * - `write`: cookie + `X-CSRF-Token`, or bearer · `sessionWrite`: cookie + CSRF only ·
 * - `machine`: service tokens only · `optionalSession`: works without one, needs CSRF with one.
 */
type Access = 'public' | 'session' | 'read' | 'write' | 'sessionWrite' | 'machine' | 'optionalSession';

const security: Record<Access, Json[]> = {
  public: [],
  session: [{ session: [] }],
  read: [{ session: [] }, { bearer: [] }],
  write: [{ session: [], csrf: [] }, { bearer: [] }],
  sessionWrite: [{ session: [], csrf: [] }],
  machine: [{ bearer: [] }],
  optionalSession: [{}, { session: [], csrf: [] }],
};

interface Success {
  description: string;
  schema?: Json;
  /** Instead of `schema`: content types other than JSON. */
  content?: Json;
  headers?: Json;
}

interface Op {
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  /** Policy action checked, if any (documented as `x-action`). */
  action?: string;
  parameters?: Json[];
  body?: { schema: Json; required?: boolean; description?: string };
  success: Record<number, Success>;
  errors: number[];
  /** Error responses more specific than the shared ones. */
  errorResponses?: Record<number, string>;
  planned?: boolean;
}

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
            content: json(op.body.schema),
          },
        }
      : {}),
    responses: out,
  };
};

const writeAccepted = (status: 200 | 201, what: string, schema: Json): Record<number, Success> => ({
  [status]: { description: `${what}: the store operation succeeded within NEMBL_WRITE_WAIT_MS.`, schema },
  202: {
    description: 'Accepted: the store operation is still running (or failed) — poll `Location`.',
    schema,
    headers: { Location: { $ref: '#/components/headers/Location' } },
  },
});

/**
 * Query parameters, one per key of a router's query schema; `limit` and `cursor` (parsed by the
 * pagination helpers, `z.unknown()` in those schemas) become the shared parameters.
 */
const queryParameters = (schema: z.ZodType, described: Record<string, Json>): Json[] =>
  Object.entries(propertiesOf(fromZod(schema))).map(([name, generated]) => {
    if (name === 'limit') return param('Limit');
    if (name === 'cursor') return param('Cursor');
    return { name, in: 'query', schema: generated, ...(described[name] ?? {}) };
  });

const secretListParameters = queryParameters(listQuery, {
  q: { description: 'Name or description contains (case-insensitive).' },
  type: { description: 'Secret type.' },
  due: { description: 'Reminder due: already overdue, or within 7 / 30 days.' },
  tag: {
    description: '`key:value` (split at the first `:`); repeat for AND.',
    schema: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9_./-]*:' } },
    style: 'form',
    explode: true,
  },
});

const auditListParameters = queryParameters(auditListQuery, {
  action: { description: 'Action name, e.g. `secrets:read`.' },
  actor: { description: 'Actor id or label.' },
  secret: { description: 'Secret name.' },
  decision: { description: 'Only allowed or only denied requests.' },
  from: { description: 'Inclusive lower bound on `at`.' },
  to: { description: 'Exclusive upper bound on `at`; not before `from` (else 400).' },
});

const auditExportParameters = queryParameters(auditExportQuery, {
  action: { description: 'Action name, e.g. `secrets:read`.' },
  actor: { description: 'Actor id or label.' },
  secret: { description: 'Secret name.' },
  decision: { description: 'Only allowed or only denied requests.' },
  from: { description: 'Inclusive lower bound on `at`.' },
  to: { description: 'Exclusive upper bound on `at`; not before `from` (else 400).' },
  format: { description: '`csv` (text/csv) or `jsonl` (JSON Lines, application/x-ndjson).' },
});

const operationListParameters = queryParameters(operationListQuery, {
  status: {
    description: 'Only operations in these states; repeat for OR.',
    schema: { type: 'array', items: { type: 'string', enum: ['queued', 'running', 'succeeded', 'failed'] } },
    style: 'form',
    explode: true,
  },
  secret: { description: 'Only operations on the secret with this name.' },
});

const secretNameParam = [param('SecretName')];

const paths: Record<string, Record<string, Op>> = {
  // --- auth and identity ---
  '/auth/signup': {
    post: {
      operationId: 'signup',
      summary: 'Sign up: create a company and its first Admin, and start a session',
      description: 'Disabled with NEMBL_ALLOW_SIGNUP=false (→ 403). Email is unique across the service.',
      tag: 'Auth',
      access: 'public',
      body: { schema: ref('SignupRequest') },
      success: { 201: { description: 'Signed up and signed in.', schema: ref('Session'), headers: { 'Set-Cookie': { $ref: '#/components/headers/SetSession' } } } },
      errors: [403, 409, 503],
    },
  },
  '/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Sign in and start a session',
      description: 'Wrong credentials → 401, with the same answer for an unknown email. Rate limited per IP and email.',
      tag: 'Auth',
      access: 'public',
      body: { schema: ref('LoginRequest') },
      success: { 200: { description: 'Signed in.', schema: ref('Session'), headers: { 'Set-Cookie': { $ref: '#/components/headers/SetSession' } } } },
      errors: [401, 429, 503],
    },
  },
  '/auth/logout': {
    post: {
      operationId: 'logout',
      summary: 'End the session',
      description: 'With a live session the request needs `X-CSRF-Token`; without one it just clears the cookie.',
      tag: 'Auth',
      access: 'optionalSession',
      success: { 204: { description: 'Signed out (cookie cleared).' } },
      errors: [403, 503],
    },
  },
  '/auth/csrf': {
    get: {
      operationId: 'getCsrfToken',
      summary: 'The CSRF token bound to the session',
      description: 'Send it as `X-CSRF-Token` on every cookie-authenticated request other than GET/HEAD. Bearer tokens need none (→ 401).',
      tag: 'Auth',
      access: 'session',
      success: { 200: { description: 'The token.', schema: object({ token: { type: 'string' } }) } },
      errors: [],
    },
  },
  '/me': {
    get: {
      operationId: 'getMe',
      summary: 'The caller: user or service token, company, roles and groups',
      tag: 'Auth',
      access: 'read',
      success: { 200: { description: 'The caller.', schema: ref('Me') } },
      errors: [],
    },
  },
  '/me/permissions': {
    post: {
      operationId: 'checkMyPermissions',
      summary: 'What the caller may do, decided by the engine enforcement uses',
      description:
        '1–200 checks `{ action, secret?, tags? }`, answered in order. `secrets:create` is asked about the name and tags given; other ' +
        '`secrets:*` actions about the named secret as it is (with `tags`: as it is and as it would be, like PATCH), or a ' +
        'hypothetical one with `tags`. A secret the caller may not `secrets:read` answers `allowed: false, reason: implicit_deny`, ' +
        'exactly like a missing one. Not audited.',
      tag: 'Auth',
      access: 'write',
      body: { schema: ref('PermissionsRequest') },
      success: { 200: { description: 'The answers.', schema: ref('PermissionResults') } },
      errors: [],
    },
  },
  '/me/password': {
    put: {
      operationId: 'changePassword',
      summary: "Change the caller's password",
      description:
        "Ends the user's other sessions. Service tokens have no password (→ 403). Attempts share the login rate limit (`NEMBL_RATE_LIMIT_LOGIN_PER_MIN`, per user, across sessions) → 429 with `Retry-After`.",
      tag: 'Auth',
      access: 'sessionWrite',
      body: { schema: ref('ChangePasswordRequest') },
      success: { 204: { description: 'Changed.' } },
      errors: [401],
    },
  },
  '/users': {
    get: {
      operationId: 'listUsers',
      summary: 'List users',
      tag: 'Users',
      access: 'read',
      action: 'users:read',
      parameters: pagination,
      success: { 200: { description: 'A page of users, by email.', schema: ref('UserPage') } },
      errors: [400, 403],
    },
    post: {
      operationId: 'createUser',
      summary: 'Create a user',
      description: 'A caller can grant only roles and groups it holds; only an Admin grants `Admin` (else 403).',
      tag: 'Users',
      access: 'write',
      action: 'users:write',
      body: { schema: ref('CreateUserRequest') },
      success: { 201: { description: 'Created.', schema: object({ user: ref('User') }) } },
      errors: [409],
    },
  },
  '/users/{id}': {
    get: {
      operationId: 'getUser',
      summary: 'Get a user',
      tag: 'Users',
      access: 'read',
      action: 'users:read',
      parameters: [param('UserId')],
      success: { 200: { description: 'The user.', schema: object({ user: ref('User') }) } },
      errors: [400, 403, 404],
    },
    patch: {
      operationId: 'updateUser',
      summary: 'Change name, roles or groups, or reset the password',
      description:
        "Demoting or resetting ends that user's sessions. The last Admin cannot be demoted (409). Unless the caller is an Admin, it must hold every role and group the user holds (else 403, naming what it lacks), whatever the field.",
      tag: 'Users',
      access: 'write',
      action: 'users:write',
      parameters: [param('UserId')],
      body: { schema: ref('UpdateUserRequest') },
      success: { 200: { description: 'Updated.', schema: object({ user: ref('User') }) } },
      errors: [404, 409],
    },
    delete: {
      operationId: 'deleteUser',
      summary: 'Remove a user',
      description:
        "Ends that user's sessions and revokes the tokens the user created (and the tokens those created). Unless the caller is an Admin, it must hold every role and group the user holds (else 403). The last Admin cannot be removed (409).",
      tag: 'Users',
      access: 'write',
      action: 'users:write',
      parameters: [param('UserId')],
      success: { 204: { description: 'Removed.' } },
      errors: [400, 404, 409],
    },
  },
  '/tokens': {
    get: {
      operationId: 'listTokens',
      summary: 'List service tokens (never the token strings)',
      tag: 'Tokens',
      access: 'read',
      action: 'tokens:read',
      parameters: pagination,
      success: { 200: { description: 'A page of tokens, by name.', schema: ref('TokenPage') } },
      errors: [400, 403],
    },
    post: {
      operationId: 'createToken',
      summary: 'Create a service token',
      description:
        'The token is in this response only (`Cache-Control: no-store`) and stored hashed. Grants follow the same rules as for users. A token created by a token with an expiry gets that expiry when none is given; a later one → 400 naming `expiresAt`.',
      tag: 'Tokens',
      access: 'write',
      action: 'tokens:write',
      body: { schema: ref('CreateTokenRequest') },
      success: { 201: { description: 'Created; `token` is shown once.', schema: ref('CreatedToken') } },
      errors: [409],
    },
  },
  '/tokens/{id}': {
    get: {
      operationId: 'getToken',
      summary: 'Get a service token (without the token string)',
      tag: 'Tokens',
      access: 'read',
      action: 'tokens:read',
      parameters: [param('TokenId')],
      success: { 200: { description: 'The token.', schema: object({ token: ref('Token') }) } },
      errors: [400, 403, 404],
    },
    delete: {
      operationId: 'revokeToken',
      summary: 'Revoke a service token',
      description:
        'Revokes the tokens it created too, transitively. Unless the caller is an Admin, it must hold every role and group the token holds (else 403).',
      tag: 'Tokens',
      access: 'write',
      action: 'tokens:write',
      parameters: [param('TokenId')],
      success: { 204: { description: 'Revoked.' } },
      errors: [400, 404],
    },
  },

  // --- secrets ---
  '/secrets': {
    get: {
      operationId: 'listSecrets',
      summary: 'List secrets the caller may read, by name',
      tag: 'Secrets',
      access: 'read',
      action: 'secrets:read',
      parameters: secretListParameters,
      success: { 200: { description: 'A page of secrets (metadata only).', schema: ref('SecretPage') } },
      errors: [400],
    },
    post: {
      operationId: 'createSecret',
      summary: 'Create a secret',
      description:
        'Writes the value to the secret store asynchronously. Duplicate name → 409 (a name stays taken until its delete completes; ' +
        'a create over a `failed` name replaces it). Owners default to the creating user.',
      tag: 'Secrets',
      access: 'write',
      action: 'secrets:create',
      body: { schema: ref('CreateSecretRequest') },
      success: writeAccepted(201, 'Created', ref('SecretWrite')),
      errors: [409],
    },
  },
  '/secrets/{name}': {
    get: {
      operationId: 'getSecret',
      summary: 'Get secret metadata and its versions (never the value)',
      tag: 'Secrets',
      access: 'read',
      action: 'secrets:read',
      parameters: secretNameParam,
      success: { 200: { description: 'The secret.', schema: ref('SecretDetail') } },
      errors: [400, 404],
    },
    patch: {
      operationId: 'updateSecret',
      summary: 'Change description, tags, type or owners',
      description:
        'Synchronous (metadata only); `tags` replaces the whole set. `secrets:update` is checked against the current and the resulting tags. ' +
        'A `pending` or `deleting` secret → 409.',
      tag: 'Secrets',
      access: 'write',
      action: 'secrets:update',
      parameters: secretNameParam,
      body: { schema: ref('PatchSecretRequest') },
      success: { 200: { description: 'Updated.', schema: object({ secret: ref('Secret') }) } },
      errors: [404, 409],
    },
    delete: {
      operationId: 'deleteSecret',
      summary: 'Delete a secret permanently (after review)',
      description:
        'Send `confirm` equal to the name, in the body or as `?confirm=`. Without it → 409 listing `boundResources` (the review step). ' +
        'Permanent: no recovery; the name is free again afterwards; bound workflows and connectors then fail naming the secret.',
      tag: 'Secrets',
      access: 'write',
      action: 'secrets:delete',
      parameters: [
        ...secretNameParam,
        { name: 'confirm', in: 'query', description: 'The secret name, repeated.', schema: { type: 'string', maxLength: 256 } },
      ],
      body: { schema: ref('DeleteSecretRequest'), required: false },
      success: writeAccepted(200, 'Deleted', ref('SecretDelete')),
      errors: [404, 409],
      errorResponses: { 409: 'DeleteNotConfirmed' },
    },
  },
  '/secrets/{name}/value': {
    put: {
      operationId: 'putSecretValue',
      summary: 'Store a new value (new version)',
      description:
        'Value updates to an `active` secret queue and apply in order; `lastRotatedAt` and the reminder due date move on success. ' +
        'A secret that is not `active` → 409.',
      tag: 'Secrets',
      access: 'write',
      action: 'secrets:update',
      parameters: secretNameParam,
      body: { schema: ref('PutSecretValueRequest') },
      success: writeAccepted(200, 'Updated', ref('SecretWrite')),
      errors: [404, 409],
    },
  },
  '/secrets/{name}/bindings': {
    get: {
      operationId: 'listSecretBindings',
      summary: 'Connectors and workflow phases that use the secret',
      tag: 'Secrets',
      access: 'read',
      action: 'secrets:read',
      parameters: secretNameParam,
      success: { 200: { description: 'The bindings.', schema: object({ items: { type: 'array', items: ref('BoundResource') } }) } },
      errors: [400, 404],
    },
  },
  '/secrets/{name}/reminder': {
    put: {
      operationId: 'setSecretReminder',
      summary: 'Set the rotation reminder (30, 60, 90 or a custom 1–3650 days)',
      description: 'Reminders go to the owners (to the company admins when there are none). A `deleting` secret → 409.',
      tag: 'Secrets',
      access: 'write',
      action: 'secrets:update',
      parameters: secretNameParam,
      body: { schema: ref('ReminderRequest') },
      success: { 200: { description: 'Updated; `reminder.nextDueAt` is recomputed.', schema: object({ secret: ref('Secret') }) } },
      errors: [404, 409],
    },
    delete: {
      operationId: 'deleteSecretReminder',
      summary: 'Remove the rotation reminder',
      tag: 'Secrets',
      access: 'write',
      action: 'secrets:update',
      parameters: secretNameParam,
      success: { 200: { description: 'Updated; `reminder` is null.', schema: object({ secret: ref('Secret') }) } },
      errors: [400, 404, 409],
    },
  },
  '/operations': {
    get: {
      operationId: 'listOperations',
      summary: 'Secret write operations, newest first',
      description: 'Only operations on secrets the caller may `secrets:read` (deleted secrets included, judged by their last attributes).',
      tag: 'Secrets',
      access: 'read',
      parameters: operationListParameters,
      success: { 200: { description: 'A page of operations.', schema: ref('OperationPage') } },
      errors: [400],
    },
  },
  '/operations/{id}': {
    get: {
      operationId: 'getOperation',
      summary: 'A secret write operation (not wrapped)',
      description: "Visible to whoever may `secrets:read` the operation's secret (else 404).",
      tag: 'Secrets',
      access: 'read',
      parameters: [param('OperationId')],
      success: { 200: { description: 'The operation.', schema: ref('Operation') } },
      errors: [400, 404],
    },
  },

  // --- policies ---
  '/policies': {
    get: {
      operationId: 'listPolicies',
      summary: 'List policies',
      tag: 'Policies',
      access: 'read',
      action: 'policies:read',
      parameters: pagination,
      success: { 200: { description: 'A page of policies, by name.', schema: ref('PolicyPage') } },
      errors: [400, 403],
    },
    post: {
      operationId: 'createPolicy',
      summary: 'Create a policy',
      tag: 'Policies',
      access: 'write',
      action: 'policies:write',
      body: { schema: ref('PolicyDocument') },
      success: { 201: { description: 'Created.', schema: object({ policy: ref('Policy') }) } },
      errors: [409],
    },
  },
  '/policies/simulate': {
    post: {
      operationId: 'simulatePolicy',
      summary: 'Decide a hypothetical request exactly as enforcement would',
      description:
        'Principal as `{ userId }`, `{ tokenId }` or `{ roles, groups }`; resource as `{ secret: name }` (its real attributes) or ' +
        '`{ kind?, name?, tags? }`. An unknown user, token or secret → 422.',
      tag: 'Policies',
      access: 'write',
      action: 'policies:read',
      body: { schema: ref('SimulateRequest') },
      success: { 200: { description: 'The decision and the statements that decided it.', schema: ref('Decision') } },
      errors: [422],
    },
  },
  '/policies/{id}': {
    get: {
      operationId: 'getPolicy',
      summary: 'Get a policy',
      tag: 'Policies',
      access: 'read',
      action: 'policies:read',
      parameters: [param('PolicyId')],
      success: { 200: { description: 'The policy.', schema: object({ policy: ref('Policy') }) } },
      errors: [400, 403, 404],
    },
    put: {
      operationId: 'replacePolicy',
      summary: 'Replace a policy document',
      tag: 'Policies',
      access: 'write',
      action: 'policies:write',
      parameters: [param('PolicyId')],
      body: { schema: ref('PolicyDocument') },
      success: { 200: { description: 'Replaced.', schema: object({ policy: ref('Policy') }) } },
      errors: [404, 409],
    },
    delete: {
      operationId: 'deletePolicy',
      summary: 'Delete a policy',
      tag: 'Policies',
      access: 'write',
      action: 'policies:write',
      parameters: [param('PolicyId')],
      success: { 204: { description: 'Deleted.' } },
      errors: [400, 404],
    },
  },

  // --- audit ---
  '/audit': {
    get: {
      operationId: 'listAuditEvents',
      summary: 'Audit events, newest first',
      description: 'Metadata reads are audited too; `count` > 1 when repeats within a short window were collapsed.',
      tag: 'Audit',
      access: 'read',
      action: 'audit:read',
      parameters: auditListParameters,
      success: { 200: { description: 'A page of events.', schema: ref('AuditEventPage') } },
      errors: [400, 403],
    },
  },
  '/audit/export': {
    get: {
      operationId: 'exportAuditEvents',
      summary: 'Download every matching audit event, oldest first',
      description:
        'The filters of `GET /audit`, no pagination: a streamed attachment (`Content-Disposition: attachment`) of every matching ' +
        'event up to the chain head at the start, with the hash-chain fields. CSV has a header row and one row per event ' +
        '(nested fields as `actor.type` …); a cell starting with `= + - @`, tab or CR is prefixed with `\'` so spreadsheets ' +
        'do not run it. The export is itself audited (`audit:export`).',
      tag: 'Audit',
      access: 'read',
      action: 'audit:read',
      parameters: auditExportParameters,
      success: {
        200: {
          description: 'The file.',
          headers: { 'Content-Disposition': { description: '`attachment; filename="nembl-audit-<time>.<format>"`', schema: { type: 'string' } } },
          content: {
            'text/csv': { schema: { type: 'string' } },
            'application/x-ndjson': { schema: { type: 'string', description: 'One `AuditEvent` JSON object per line.' } },
          },
        },
      },
      errors: [400, 403],
    },
  },
  '/audit/verify': {
    get: {
      operationId: 'verifyAuditChain',
      summary: "Walk the company's audit hash chain",
      tag: 'Audit',
      access: 'read',
      action: 'audit:read',
      success: { 200: { description: 'The result.', schema: ref('AuditVerification') } },
      errors: [403],
    },
  },

  // --- connectors ---
  '/connectors': {
    get: {
      operationId: 'listConnectors',
      summary: 'List connectors the caller may read, by name',
      tag: 'Connectors',
      access: 'read',
      action: 'connectors:read',
      parameters: pagination,
      success: { 200: { description: 'A page of connectors.', schema: ref('ConnectorPage') } },
      errors: [400],
    },
    post: {
      operationId: 'createConnector',
      summary: 'Create a connector',
      description: 'Needs `connectors:create` and `secrets:use` on `authSecret`. Duplicate name → 409; unknown secret → 422; blocked target → 400.',
      tag: 'Connectors',
      access: 'write',
      action: 'connectors:create',
      body: { schema: ref('CreateConnectorRequest') },
      success: { 201: { description: 'Created.', schema: object({ connector: ref('Connector') }) } },
      errors: [409, 422],
    },
  },
  '/connectors/{id}': {
    get: {
      operationId: 'getConnector',
      summary: 'Get a connector',
      tag: 'Connectors',
      access: 'read',
      action: 'connectors:read',
      parameters: [param('ConnectorId')],
      success: { 200: { description: 'The connector.', schema: object({ connector: ref('Connector') }) } },
      errors: [400, 403, 404],
    },
    patch: {
      operationId: 'updateConnector',
      summary: 'Change a connector',
      description: '`secrets:use` is checked again whenever `authSecret`, `kind` or `baseUrl` changes.',
      tag: 'Connectors',
      access: 'write',
      action: 'connectors:update',
      parameters: [param('ConnectorId')],
      body: { schema: ref('PatchConnectorRequest') },
      success: { 200: { description: 'Updated.', schema: object({ connector: ref('Connector') }) } },
      errors: [404, 409, 422],
    },
    delete: {
      operationId: 'deleteConnector',
      summary: 'Delete a connector',
      tag: 'Connectors',
      access: 'write',
      action: 'connectors:delete',
      parameters: [param('ConnectorId')],
      success: { 204: { description: 'Deleted.' } },
      errors: [400, 404],
    },
  },
  '/connectors/{id}/test': {
    post: {
      operationId: 'testConnector',
      summary: 'Call the external API once with the secret injected',
      description:
        'Needs `connectors:read` and `secrets:use` on the secret. `ok` is false with the upstream status when it refuses. ' +
        'The value is never echoed. A deleted or missing secret → 422 naming it; a blocked target → 400.',
      tag: 'Connectors',
      access: 'write',
      action: 'connectors:read',
      parameters: [param('ConnectorId')],
      success: { 200: { description: 'The test result.', schema: ref('ConnectorTestResult') } },
      errors: [400, 404, 422],
    },
  },
  '/connectors/{id}/credentials': {
    post: {
      operationId: 'getConnectorCredentials',
      summary: 'The credential value, for the connector runtime',
      description:
        'Service tokens only: a cookie session gets 403, Admin included. Needs `connectors:read` and `secrets:read_value`; ' +
        'audited fail-closed (audit log down → 503). A deleted or missing secret → 422.',
      tag: 'Connectors',
      access: 'machine',
      action: 'secrets:read_value',
      parameters: [param('ConnectorId')],
      success: { 200: { description: 'The value and its version.', schema: ref('ConnectorCredentials') } },
      errors: [400, 404, 422],
    },
  },

  // --- workflows and runs ---
  '/workflows': {
    get: {
      operationId: 'listWorkflows',
      summary: 'List workflows the caller may read, by name',
      tag: 'Workflows',
      access: 'read',
      action: 'workflows:read',
      parameters: pagination,
      success: { 200: { description: 'A page of workflows.', schema: ref('WorkflowPage') } },
      errors: [400],
    },
    post: {
      operationId: 'createWorkflow',
      summary: 'Create a workflow',
      description: 'Name unique per company (409), phase names unique per workflow (400). A `secret:` reference to a missing secret → 422 naming it.',
      tag: 'Workflows',
      access: 'write',
      action: 'workflows:create',
      body: { schema: ref('WorkflowRequest') },
      success: { 201: { description: 'Created.', schema: object({ workflow: ref('Workflow') }) } },
      errors: [409, 422],
    },
  },
  '/workflows/{id}': {
    get: {
      operationId: 'getWorkflow',
      summary: 'Get a workflow',
      tag: 'Workflows',
      access: 'read',
      action: 'workflows:read',
      parameters: [param('WorkflowId')],
      success: { 200: { description: 'The workflow.', schema: object({ workflow: ref('Workflow') }) } },
      errors: [400, 403, 404],
    },
    put: {
      operationId: 'replaceWorkflow',
      summary: 'Replace a workflow',
      tag: 'Workflows',
      access: 'write',
      action: 'workflows:update',
      parameters: [param('WorkflowId')],
      body: { schema: ref('WorkflowRequest') },
      success: { 200: { description: 'Replaced.', schema: object({ workflow: ref('Workflow') }) } },
      errors: [404, 409, 422],
    },
    delete: {
      operationId: 'deleteWorkflow',
      summary: 'Delete a workflow',
      tag: 'Workflows',
      access: 'write',
      action: 'workflows:delete',
      parameters: [param('WorkflowId')],
      success: { 204: { description: 'Deleted.' } },
      errors: [400, 404],
    },
  },
  '/workflows/{id}/runs': {
    post: {
      operationId: 'startWorkflowRun',
      summary: 'Start a run (pins the current secret versions)',
      description: 'A run expires after NEMBL_RUN_TTL_HOURS.',
      tag: 'Workflows',
      access: 'write',
      action: 'workflows:run',
      parameters: [param('WorkflowId')],
      success: { 201: { description: 'Started.', schema: object({ run: ref('Run') }) } },
      errors: [400, 404, 422],
    },
  },
  '/runs/{runId}/phases/{phase}/env': {
    post: {
      operationId: 'resolveRunPhaseEnv',
      summary: "Resolve a phase's environment, secret values included",
      description:
        'Service tokens only: a cookie session gets 403, Admin included. Needs `secrets:read_value` on each referenced secret; audited fail-closed. ' +
        'Within one run the same versions are returned every time; a new run gets the current ones. Expired run → 410; ' +
        'unknown phase → 404; a deleted or missing secret → 422 naming it. `Cache-Control: no-store`.',
      tag: 'Workflows',
      access: 'machine',
      action: 'secrets:read_value',
      parameters: [
        param('RunId'),
        {
          name: 'phase',
          in: 'path',
          required: true,
          description: 'The phase name, URL-encoded.',
          schema: { type: 'string', minLength: 1, maxLength: 128 },
        },
      ],
      success: { 200: { description: 'The environment.', schema: ref('RunEnv') } },
      errors: [400, 404, 410, 422],
    },
  },
  // v1.1: ad-hoc references for `nembl run --env`.
  '/env/resolve': {
    post: {
      operationId: 'resolveEnv',
      summary: 'Resolve ad-hoc references to their current values',
      description:
        'Service tokens only: a cookie session gets 403, Admin included. `env` maps 1–100 variable names (as for workflow env) to ' +
        '`secret:<name>` or a literal. Needs `secrets:read_value` on each referenced secret (a denial names it); audited fail-closed. ' +
        'A deleted or missing secret, or one the caller may not `secrets:read` → 422 naming it (`errors[].path` = `env.NAME`). `Cache-Control: no-store`.',
      tag: 'Workflows',
      access: 'machine',
      action: 'secrets:read_value',
      body: { schema: fromZod(envResolveSchema) },
      success: { 200: { description: 'The environment, at the current versions.', schema: ref('RunEnv') } },
      errors: [422],
    },
  },
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
export const buildOpenApiDocument = (): object => ({
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
    Object.entries(paths).map(([path, ops]) => [path, Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, operation(op)]))]),
  ),
  components: {
    schemas,
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
        description: 'From `GET /auth/csrf`; required with the session cookie on every request other than GET/HEAD.',
      },
      bearer: {
        type: 'http',
        scheme: 'bearer',
        description: 'Service token (`nmbl_…`), created with `POST /tokens`. No CSRF token needed.',
      },
    },
  },
});
