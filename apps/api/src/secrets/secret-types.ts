import {
  descriptionSchema,
  operationSchema,
  reminderIntervalSchema,
  secretNameSchema,
  storePath,
  secretTypeSchema,
  secretValueSchema,
  tagsSchema,
  type SecretRow,
} from '@nembl/core';
import { z } from 'zod';
import type { BoundResourceView } from '../bindings/visibility-fns.js';
import { dateTimeOut, idOut, pageOf } from '../http/response-schemas.js';

export const ownersSchema = z
  .array(z.uuid('must be a user id'))
  .max(50)
  // Ids compare as Postgres does: case-insensitively (lower case is how it prints them).
  .transform((ids) => [...new Set(ids.map((id) => id.toLowerCase()))]);

export const reminderSchema = z.strictObject({ intervalDays: reminderIntervalSchema });

export const createSecretSchema = z.strictObject({
  name: secretNameSchema,
  value: secretValueSchema,
  type: secretTypeSchema.default('custom'),
  description: descriptionSchema.default(''),
  tags: tagsSchema.default({}),
  owners: ownersSchema.optional(),
  reminder: reminderSchema.nullable().optional(),
});

export const patchSecretSchema = z
  .strictObject({
    description: descriptionSchema.optional(),
    tags: tagsSchema.optional(),
    type: secretTypeSchema.optional(),
    owners: ownersSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change', path: [] });

export const putValueSchema = z.strictObject({ value: secretValueSchema });

export const nameParams = z.object({ name: secretNameSchema });

export const boundResourceSchema = z
  .object({
    kind: z.enum(['connector', 'workflow_phase']),
    id: idOut,
    name: z.string(),
    detail: z.string(),
  })
  .meta({ title: 'Named' });

export type BoundResource = z.infer<typeof boundResourceSchema>;

/** A bound resource, or one the caller may not read (kind only, listed after the named ones). */
export const boundResourceViewSchema = z
  .union([
    boundResourceSchema,
    z.object({ kind: z.enum(['connector', 'workflow_phase']), hidden: z.literal(true) }).meta({
      title: 'Hidden',
      description:
        'A connector (needs `connectors:read`) or workflow (needs `workflows:read`) the caller may not read; one item per such resource, after the named ones. No id, name or detail.',
    }),
  ])
  .meta({ id: 'BoundResource', description: 'A connector or workflow phase that uses the secret.' });

const userRef = z.object({ id: idOut.nullable(), name: z.string() });

export const secretSchema = z
  .object({
    id: idOut,
    name: z.string(),
    path: z.string().meta({ description: 'Location in the secret store: `nembl/{companyId}/{name}`.' }),
    type: secretTypeSchema,
    description: z.string(),
    tags: z.record(z.string(), z.string()),
    status: z
      .enum(['pending', 'active', 'deleting', 'failed'])
      .meta({ description: '`pending` (create in flight) · `active` · `deleting` · `failed` (create failed).' }),
    version: z.int().min(0),
    createdAt: dateTimeOut,
    createdBy: userRef,
    lastRotatedAt: dateTimeOut.nullable(),
    owners: z.array(z.object({ id: idOut, email: z.string() })),
    reminder: z
      .object({
        intervalDays: z.int().min(1).max(3650),
        nextDueAt: dateTimeOut.nullable(),
        lastSentAt: dateTimeOut.nullable(),
        lastError: z.string().nullable(),
      })
      .nullable(),
    boundResources: z.array(boundResourceViewSchema),
  })
  .meta({
    id: 'Secret',
    description: 'Secret metadata. There is no value field, in any response: values are for machines only.',
  });

export type SecretJson = z.infer<typeof secretSchema>;

export const secretVersionSchema = z
  .object({ version: z.int(), createdAt: dateTimeOut, createdBy: userRef })
  .meta({ id: 'SecretVersion' });
export const secretDetailSchema = z
  .object({ secret: secretSchema, versions: z.array(secretVersionSchema) })
  .meta({ id: 'SecretDetail' });
export const secretEnvelopeSchema = z.object({ secret: secretSchema });
export const secretWriteSchema = z
  .object({ secret: secretSchema, operation: operationSchema })
  .meta({ id: 'SecretWrite' });
export const secretDeleteSchema = z.object({ operation: operationSchema }).meta({ id: 'SecretDelete' });
export const secretPageSchema = pageOf(secretSchema, 'SecretPage');
export const operationPageSchema = pageOf(operationSchema, 'OperationPage');
export const bindingListSchema = z.object({ items: z.array(boundResourceViewSchema) });

/** The public shape of a secret. There is no value field, by construction. */
export const secretJson = (
  s: SecretRow,
  owners: Array<{ id: string; email: string }>,
  boundResources: BoundResourceView[],
): SecretJson => ({
  id: s.id,
  name: s.name,
  path: storePath({ companyId: s.companyId, name: s.name }),
  type: s.type,
  description: s.description,
  tags: s.tags,
  // Tombstones (`deleted`) are never served; the response schema would refuse one.
  status: s.status as SecretJson['status'],
  version: s.version,
  createdAt: s.createdAt.toISOString(),
  createdBy: { id: s.createdById, name: s.createdByLabel },
  lastRotatedAt: s.lastRotatedAt?.toISOString() ?? null,
  owners,
  reminder:
    s.reminderIntervalDays === null
      ? null
      : {
          intervalDays: s.reminderIntervalDays,
          nextDueAt: s.reminderNextDueAt?.toISOString() ?? null,
          lastSentAt: s.reminderLastSentAt?.toISOString() ?? null,
          lastError: s.reminderLastError,
        },
  boundResources,
});

export const secretResource = (s: Pick<SecretRow, 'name' | 'type' | 'tags'>) => ({
  kind: 'secret' as const,
  name: s.name,
  secretType: s.type,
  tags: s.tags,
});
