import {
  descriptionSchema,
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

export const ownersSchema = z.array(z.uuid('must be a user id')).max(50).transform((ids) => [...new Set(ids)]);

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

export interface BoundResource {
  kind: 'connector' | 'workflow_phase';
  id: string;
  name: string;
  detail: string;
}

export interface SecretJson {
  id: string;
  name: string;
  path: string;
  type: SecretRow['type'];
  description: string;
  tags: Record<string, string>;
  status: SecretRow['status'];
  version: number;
  createdAt: string;
  createdBy: { id: string | null; name: string };
  lastRotatedAt: string | null;
  owners: Array<{ id: string; email: string }>;
  reminder: { intervalDays: number; nextDueAt: string | null; lastSentAt: string | null; lastError: string | null } | null;
  boundResources: BoundResourceView[];
}

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
  status: s.status,
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
