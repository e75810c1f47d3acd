import { secretNameSchema, tagsSchema } from '@nembl/core';
import { ACTIONS, type ResourceKind } from '@nembl/policy';
import { z } from 'zod';
import { decisionReasonOut } from '../http/response-schemas.js';

export const MAX_PERMISSION_CHECKS = 200;

const actionSchema = z.enum(ACTIONS as [string, ...string[]], { message: 'must be a known action' });

/** One question: may the caller do `action` (on the secret named `secret`, or one with `tags`)? */
export const permissionCheckSchema = z
  .strictObject({
    action: actionSchema,
    secret: secretNameSchema.optional(),
    tags: tagsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.action.startsWith('secrets:')) return;
    for (const key of ['secret', 'tags'] as const) {
      if (c[key] !== undefined)
        ctx.addIssue({ code: 'custom', path: [key], message: 'applies to secrets:* actions only' });
    }
  });

export const permissionChecksSchema = z.strictObject({
  checks: z
    .array(permissionCheckSchema)
    .min(1, 'must have at least one check')
    .max(MAX_PERMISSION_CHECKS, `must have at most ${MAX_PERMISSION_CHECKS} checks`),
});

export type PermissionCheck = z.infer<typeof permissionCheckSchema>;

export const permissionResultsSchema = z
  .object({
    results: z
      .array(
        z.object({
          action: z.string(),
          secret: z.string().optional().meta({ description: "Echoes the check's `secret`, when it named one." }),
          allowed: z.boolean(),
          reason: decisionReasonOut,
        }),
      )
      .meta({ description: 'One result per check, in the order of the checks.' }),
  })
  .meta({ id: 'PermissionResults' });

/** The resource kind an action is about: `secrets:update` → `secret`, `audit:read` → `audit`. */
const KIND_BY_PREFIX: Record<string, ResourceKind> = {
  secrets: 'secret',
  connectors: 'connector',
  workflows: 'workflow',
  policies: 'policy',
  users: 'user',
  tokens: 'token',
  audit: 'audit',
};

export const resourceKindOf = (action: string): ResourceKind => {
  const kind = KIND_BY_PREFIX[action.split(':')[0] ?? ''];
  if (!kind) throw new Error(`no resource kind for action ${action}`);
  return kind;
};
