import { lineText, secretNameSchema } from '@nembl/core';
import { z } from 'zod';
import { hiddenReference, secretReferenceSchema } from '../bindings/visibility-fns.js';
import { dateTimeOut, idOut, pageOf } from '../http/response-schemas.js';

export const CONNECTOR_KINDS = ['github', 'slack', 'jira', 'http'] as const;
export type ConnectorKind = (typeof CONNECTOR_KINDS)[number];

export const DEFAULT_BASE_URLS: Partial<Record<ConnectorKind, string>> = {
  github: 'https://api.github.com',
  slack: 'https://slack.com/api',
};

const baseUrl = lineText
  .max(2048)
  .refine((raw) => {
    try {
      const u = new URL(raw);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL')
  .refine((raw) => {
    try {
      const u = new URL(raw);
      return u.username === '' && u.password === '';
    } catch {
      return true;
    }
  }, 'must not contain credentials');

const headerName = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name');
const connectorName = lineText.trim().min(1).max(128);

/** Kind-specific config: unknown keys are refused so typos do not silently do nothing. */
export const configSchemas = {
  github: z.strictObject({ baseUrl: baseUrl.optional() }),
  slack: z.strictObject({ baseUrl: baseUrl.optional() }),
  jira: z.strictObject({ baseUrl, email: z.email().max(254).optional() }),
  http: z.strictObject({
    baseUrl,
    testPath: lineText.max(1024).regex(/^\//, 'must start with /').optional(),
    header: headerName.optional(),
    scheme: z
      .string()
      .max(64)
      .regex(/^[\x21-\x7e]*$/, 'must be printable without spaces')
      .optional(),
  }),
} as const;

export type ConnectorConfig = { baseUrl?: string; email?: string; testPath?: string; header?: string; scheme?: string };

const base = { name: connectorName, authSecret: secretNameSchema };

export const createConnectorSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...base, kind: z.literal('github'), config: configSchemas.github.default({}) }),
  z.strictObject({ ...base, kind: z.literal('slack'), config: configSchemas.slack.default({}) }),
  z.strictObject({ ...base, kind: z.literal('jira'), config: configSchemas.jira }),
  z.strictObject({ ...base, kind: z.literal('http'), config: configSchemas.http }),
]);

export const patchConnectorSchema = z
  .strictObject({
    name: connectorName.optional(),
    kind: z.enum(CONNECTOR_KINDS).optional(),
    config: z.record(z.string(), z.unknown()).optional(),
    authSecret: secretNameSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change', path: [] });

export interface ConnectorRow {
  id: string;
  companyId: string;
  name: string;
  kind: ConnectorKind;
  config: ConnectorConfig;
  authSecret: string;
  createdAt: Date;
  updatedAt: Date;
}

export const connectorSchema = z
  .object({
    id: idOut,
    name: z.string(),
    kind: z.enum(CONNECTOR_KINDS),
    config: z.object({
      baseUrl: z.string().optional(),
      email: z.string().optional().meta({ description: 'jira: Basic auth as `email:<value>` (else Bearer).' }),
      testPath: z.string().optional().meta({ description: 'http: path of the test call (default `/`).' }),
      header: z.string().optional().meta({ description: 'http: credential header (default `Authorization`).' }),
      scheme: z.string().optional().meta({ description: 'http: credential scheme (default `Bearer`).' }),
    }),
    authSecret: secretReferenceSchema.meta({
      description: 'Name of the secret injected as the credential; hidden when the caller may not read it.',
    }),
    createdAt: dateTimeOut,
    updatedAt: dateTimeOut,
  })
  .meta({ id: 'Connector' });

export const connectorEnvelopeSchema = z.object({ connector: connectorSchema });
export const connectorPageSchema = pageOf(connectorSchema, 'ConnectorPage');

export const connectorTestResultSchema = z
  .object({
    ok: z.boolean(),
    status: z.int().meta({ description: 'Upstream HTTP status (0 when unreachable).' }),
    latencyMs: z.number(),
    error: z.string().optional().meta({ description: 'Why the target could not be reached.' }),
  })
  .meta({ id: 'ConnectorTestResult', description: 'The value is never echoed.' });

export const connectorCredentialsSchema = z
  .object({ value: z.string().meta({ description: 'The secret value (machines only).' }), version: z.int() })
  .meta({
    id: 'ConnectorCredentials',
    description: 'One of the responses that carry a secret value; service tokens only.',
  });

/** `readableSecrets`: the secret names the caller may read; any other `authSecret` is shown hidden. */
export const connectorJson = (
  c: ConnectorRow,
  readableSecrets: ReadonlySet<string>,
): z.infer<typeof connectorSchema> => ({
  id: c.id,
  name: c.name,
  kind: c.kind,
  config: c.config,
  authSecret: readableSecrets.has(c.authSecret) ? c.authSecret : hiddenReference('secret'),
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

export const effectiveBaseUrl = (c: Pick<ConnectorRow, 'kind' | 'config'>): string | undefined =>
  c.config.baseUrl ?? DEFAULT_BASE_URLS[c.kind];

/** The one test call per kind, and how the credential is presented (api.md, Connectors). */
export const testRequestFor = (c: Pick<ConnectorRow, 'kind' | 'config'>, value: string) => {
  const join = (path: string) => effectiveBaseUrl(c)!.replace(/\/+$/, '') + path;
  switch (c.kind) {
    case 'github':
      return { method: 'GET', url: join('/user'), headers: { authorization: `Bearer ${value}` } };
    case 'slack':
      return { method: 'POST', url: join('/auth.test'), headers: { authorization: `Bearer ${value}` } };
    case 'jira':
      return {
        method: 'GET',
        url: join('/rest/api/3/myself'),
        headers: {
          authorization: c.config.email
            ? `Basic ${Buffer.from(`${c.config.email}:${value}`).toString('base64')}`
            : `Bearer ${value}`,
        },
      };
    case 'http': {
      const scheme = c.config.scheme ?? 'Bearer';
      return {
        method: 'GET',
        url: join(c.config.testPath ?? '/'),
        headers: { [(c.config.header ?? 'Authorization').toLowerCase()]: scheme ? `${scheme} ${value}` : value },
      };
    }
  }
};
