/**
 * The operations of `/api/v1` (the HTTP contract, `api.md`): for each route its parameters,
 * request body and responses, as the zod schemas the routers validate with and the response
 * schemas beside the mappers. `openapi-document.ts` turns this into the OpenAPI document;
 * `http/response-serializer.ts` serializes every JSON response through it.
 */
import { operationSchema } from '@nembl/core';
import { z } from 'zod';
import {
  auditExportQuery,
  auditEventPageSchema,
  auditListQuery,
  auditVerificationSchema,
} from '../audit/audit-types.js';
import {
  changePasswordSchema,
  csrfSchema,
  loginSchema,
  meSchema,
  sessionSchema,
  signupSchema,
} from '../auth/auth-router.js';
import {
  configSchemas,
  connectorCredentialsSchema,
  connectorEnvelopeSchema,
  connectorPageSchema,
  connectorTestResultSchema,
  createConnectorSchema,
  patchConnectorSchema,
} from '../connectors/connector-types.js';
import { DEFAULT_LIMIT } from '../http/pagination.js';
import { MAX_PAGE_LIMIT } from '../http/response-schemas.js';
import { permissionChecksSchema, permissionResultsSchema } from '../permissions/permission-types.js';
import { decisionSchema, policyEnvelopeSchema, policyPageSchema, simulateSchema } from '../policies/policy-router.js';
import { envResolveSchema } from '../runs/env-router.js';
import { runEnvelopeSchema, runEnvSchema } from '../runs/run-service.js';
import { deleteBody, listQuery, operationListQuery } from '../secrets/secret-router.js';
import {
  bindingListSchema,
  createSecretSchema,
  nameParams,
  operationPageSchema,
  patchSecretSchema,
  putValueSchema,
  reminderSchema,
  secretDeleteSchema,
  secretDetailSchema,
  secretEnvelopeSchema,
  secretPageSchema,
  secretWriteSchema,
} from '../secrets/secret-types.js';
import { createdTokenSchema, createTokenSchema, tokenEnvelopeSchema, tokenPageSchema } from '../tokens/token-router.js';
import {
  createUserSchema,
  updateUserSchema,
  userEnvelopeSchema,
  userPageSchema,
  uuidSchema,
} from '../users/user-types.js';
import { workflowEnvelopeSchema, workflowPageSchema, workflowSchema } from '../workflows/workflow-types.js';

export type Json = Record<string, unknown>;

/** Inner schemas the routers do not export by name, reached through the exported ones. */
export const connectorBaseUrlSchema = configSchemas.jira.shape.baseUrl;
export const workflowEnvSchema = workflowSchema.shape.phases.element.shape.env.def.innerType;

/** Request bodies, registered as components under these names (the router's schema, unchanged). */
export const requestBodies = {
  SignupRequest: signupSchema,
  LoginRequest: loginSchema,
  ChangePasswordRequest: changePasswordSchema,
  PermissionsRequest: permissionChecksSchema,
  CreateUserRequest: createUserSchema,
  UpdateUserRequest: updateUserSchema,
  CreateTokenRequest: createTokenSchema,
  CreateSecretRequest: createSecretSchema,
  PatchSecretRequest: patchSecretSchema,
  PutSecretValueRequest: putValueSchema,
  DeleteSecretRequest: deleteBody,
  ReminderRequest: reminderSchema,
  SimulateRequest: simulateSchema,
  CreateConnectorRequest: createConnectorSchema,
  PatchConnectorRequest: patchConnectorSchema,
  WorkflowRequest: workflowSchema,
  EnvResolveRequest: envResolveSchema,
} satisfies Record<string, z.ZodType>;

/** JSON Schema of a zod schema (request side), without `$schema`: for parameters. */
export const fromZod = (schema: z.ZodType): Json => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return rest;
};

const propertiesOf = (schema: Json): Record<string, Json> => (schema.properties ?? {}) as Record<string, Json>;
const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

const pathId = (name: string, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: fromZod(uuidSchema),
});

export const parameters: Record<string, Json> = {
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
export type Access = 'public' | 'session' | 'read' | 'write' | 'sessionWrite' | 'machine' | 'optionalSession';

export const security: Record<Access, Json[]> = {
  public: [],
  session: [{ session: [] }],
  read: [{ session: [] }, { bearer: [] }],
  write: [{ session: [], csrf: [] }, { bearer: [] }],
  sessionWrite: [{ session: [], csrf: [] }],
  machine: [{ bearer: [] }],
  optionalSession: [{}, { session: [], csrf: [] }],
};

export interface Success {
  description: string;
  /** The JSON body: every response with this status is serialized through it. */
  schema?: z.ZodType;
  /** Instead of `schema`: content types other than JSON. */
  content?: Json;
  headers?: Json;
}

export interface Op {
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  access: Access;
  /** Policy action checked, if any (documented as `x-action`). */
  action?: string;
  parameters?: Json[];
  body?: { schema: z.ZodType | Json; required?: boolean; description?: string };
  success: Record<number, Success>;
  errors: number[];
  /** Error responses more specific than the shared ones. */
  errorResponses?: Record<number, string>;
  planned?: boolean;
}

const writeAccepted = (status: 200 | 201, what: string, schema: z.ZodType): Record<number, Success> => ({
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

/**
 * Every operation of `/api/v1`, keyed by OpenAPI path and method: what it takes and what it
 * answers. The OpenAPI document is generated from this table, and the API serializes each JSON
 * response through the schema declared here for its status.
 */
export const API_OPERATIONS: Record<string, Record<string, Op>> = {
  // --- auth and identity ---
  '/auth/signup': {
    post: {
      operationId: 'signup',
      summary: 'Sign up: create a company and its first Admin, and start a session',
      description: 'Disabled with NEMBL_ALLOW_SIGNUP=false (→ 403). Email is unique across the service.',
      tag: 'Auth',
      access: 'public',
      body: { schema: requestBodies.SignupRequest },
      success: {
        201: {
          description: 'Signed up and signed in.',
          schema: sessionSchema,
          headers: { 'Set-Cookie': { $ref: '#/components/headers/SetSession' } },
        },
      },
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
      body: { schema: requestBodies.LoginRequest },
      success: {
        200: {
          description: 'Signed in.',
          schema: sessionSchema,
          headers: { 'Set-Cookie': { $ref: '#/components/headers/SetSession' } },
        },
      },
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
      description:
        'Send it as `X-CSRF-Token` on every cookie-authenticated request other than GET/HEAD. Bearer tokens need none (→ 401).',
      tag: 'Auth',
      access: 'session',
      success: { 200: { description: 'The token.', schema: csrfSchema } },
      errors: [],
    },
  },
  '/me': {
    get: {
      operationId: 'getMe',
      summary: 'The caller: user or service token, company, roles and groups',
      tag: 'Auth',
      access: 'read',
      success: { 200: { description: 'The caller.', schema: meSchema } },
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
      body: { schema: requestBodies.PermissionsRequest },
      success: { 200: { description: 'The answers.', schema: permissionResultsSchema } },
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
      body: { schema: requestBodies.ChangePasswordRequest },
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
      success: { 200: { description: 'A page of users, by email.', schema: userPageSchema } },
      errors: [400, 403],
    },
    post: {
      operationId: 'createUser',
      summary: 'Create a user',
      description: 'A caller can grant only roles and groups it holds; only an Admin grants `Admin` (else 403).',
      tag: 'Users',
      access: 'write',
      action: 'users:write',
      body: { schema: requestBodies.CreateUserRequest },
      success: { 201: { description: 'Created.', schema: userEnvelopeSchema } },
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
      success: { 200: { description: 'The user.', schema: userEnvelopeSchema } },
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
      body: { schema: requestBodies.UpdateUserRequest },
      success: { 200: { description: 'Updated.', schema: userEnvelopeSchema } },
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
      success: { 200: { description: 'A page of tokens, by name.', schema: tokenPageSchema } },
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
      body: { schema: requestBodies.CreateTokenRequest },
      success: { 201: { description: 'Created; `token` is shown once.', schema: createdTokenSchema } },
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
      success: { 200: { description: 'The token.', schema: tokenEnvelopeSchema } },
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
      success: { 200: { description: 'A page of secrets (metadata only).', schema: secretPageSchema } },
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
      body: { schema: requestBodies.CreateSecretRequest },
      success: writeAccepted(201, 'Created', secretWriteSchema),
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
      success: { 200: { description: 'The secret.', schema: secretDetailSchema } },
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
      body: { schema: requestBodies.PatchSecretRequest },
      success: { 200: { description: 'Updated.', schema: secretEnvelopeSchema } },
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
        {
          name: 'confirm',
          in: 'query',
          description: 'The secret name, repeated.',
          schema: { type: 'string', maxLength: 256 },
        },
      ],
      body: { schema: requestBodies.DeleteSecretRequest, required: false },
      success: writeAccepted(200, 'Deleted', secretDeleteSchema),
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
      body: { schema: requestBodies.PutSecretValueRequest },
      success: writeAccepted(200, 'Updated', secretWriteSchema),
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
      success: { 200: { description: 'The bindings.', schema: bindingListSchema } },
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
      body: { schema: requestBodies.ReminderRequest },
      success: { 200: { description: 'Updated; `reminder.nextDueAt` is recomputed.', schema: secretEnvelopeSchema } },
      errors: [404, 409],
    },
    delete: {
      operationId: 'deleteSecretReminder',
      summary: 'Remove the rotation reminder',
      tag: 'Secrets',
      access: 'write',
      action: 'secrets:update',
      parameters: secretNameParam,
      success: { 200: { description: 'Updated; `reminder` is null.', schema: secretEnvelopeSchema } },
      errors: [400, 404, 409],
    },
  },
  '/operations': {
    get: {
      operationId: 'listOperations',
      summary: 'Secret write operations, newest first',
      description:
        'Only operations on secrets the caller may `secrets:read` (deleted secrets included, judged by their last attributes).',
      tag: 'Secrets',
      access: 'read',
      parameters: operationListParameters,
      success: { 200: { description: 'A page of operations.', schema: operationPageSchema } },
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
      success: { 200: { description: 'The operation.', schema: operationSchema } },
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
      success: { 200: { description: 'A page of policies, by name.', schema: policyPageSchema } },
      errors: [400, 403],
    },
    post: {
      operationId: 'createPolicy',
      summary: 'Create a policy',
      tag: 'Policies',
      access: 'write',
      action: 'policies:write',
      body: { schema: ref('PolicyDocument') },
      success: { 201: { description: 'Created.', schema: policyEnvelopeSchema } },
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
      body: { schema: requestBodies.SimulateRequest },
      success: { 200: { description: 'The decision and the statements that decided it.', schema: decisionSchema } },
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
      success: { 200: { description: 'The policy.', schema: policyEnvelopeSchema } },
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
      success: { 200: { description: 'Replaced.', schema: policyEnvelopeSchema } },
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
      success: { 200: { description: 'A page of events.', schema: auditEventPageSchema } },
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
        "(nested fields as `actor.type` …); a cell starting with `= + - @`, tab or CR is prefixed with `'` so spreadsheets " +
        'do not run it. The export is itself audited (`audit:export`).',
      tag: 'Audit',
      access: 'read',
      action: 'audit:read',
      parameters: auditExportParameters,
      success: {
        200: {
          description: 'The file.',
          headers: {
            'Content-Disposition': {
              description: '`attachment; filename="nembl-audit-<time>.<format>"`',
              schema: { type: 'string' },
            },
          },
          content: {
            'text/csv': { schema: { type: 'string' } },
            'application/x-ndjson': {
              schema: { type: 'string', description: 'One `AuditEvent` JSON object per line.' },
            },
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
      success: { 200: { description: 'The result.', schema: auditVerificationSchema } },
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
      success: { 200: { description: 'A page of connectors.', schema: connectorPageSchema } },
      errors: [400],
    },
    post: {
      operationId: 'createConnector',
      summary: 'Create a connector',
      description:
        'Needs `connectors:create` and `secrets:use` on `authSecret`. Duplicate name → 409; unknown secret → 422; blocked target → 400.',
      tag: 'Connectors',
      access: 'write',
      action: 'connectors:create',
      body: { schema: requestBodies.CreateConnectorRequest },
      success: { 201: { description: 'Created.', schema: connectorEnvelopeSchema } },
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
      success: { 200: { description: 'The connector.', schema: connectorEnvelopeSchema } },
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
      body: { schema: requestBodies.PatchConnectorRequest },
      success: { 200: { description: 'Updated.', schema: connectorEnvelopeSchema } },
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
      success: { 200: { description: 'The test result.', schema: connectorTestResultSchema } },
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
      success: { 200: { description: 'The value and its version.', schema: connectorCredentialsSchema } },
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
      success: { 200: { description: 'A page of workflows.', schema: workflowPageSchema } },
      errors: [400],
    },
    post: {
      operationId: 'createWorkflow',
      summary: 'Create a workflow',
      description:
        'Name unique per company (409), phase names unique per workflow (400). A `secret:` reference to a missing secret → 422 naming it.',
      tag: 'Workflows',
      access: 'write',
      action: 'workflows:create',
      body: { schema: requestBodies.WorkflowRequest },
      success: { 201: { description: 'Created.', schema: workflowEnvelopeSchema } },
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
      success: { 200: { description: 'The workflow.', schema: workflowEnvelopeSchema } },
      errors: [400, 403, 404],
    },
    put: {
      operationId: 'replaceWorkflow',
      summary: 'Replace a workflow',
      tag: 'Workflows',
      access: 'write',
      action: 'workflows:update',
      parameters: [param('WorkflowId')],
      body: { schema: requestBodies.WorkflowRequest },
      success: { 200: { description: 'Replaced.', schema: workflowEnvelopeSchema } },
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
      success: { 201: { description: 'Started.', schema: runEnvelopeSchema } },
      errors: [400, 404, 422],
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
      body: { schema: requestBodies.EnvResolveRequest },
      success: { 200: { description: 'The environment, at the current versions.', schema: runEnvSchema } },
      errors: [422],
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
      success: { 200: { description: 'The environment.', schema: runEnvSchema } },
      errors: [400, 404, 410, 422],
    },
  },
};
