import { lineText, opaqueText, ROLE_NAME_PATTERN, type UserRow } from '@nembl/core';
import { z } from 'zod';
import { dateTimeOut, idOut, pageOf } from '../http/response-schemas.js';

export const emailSchema = lineText
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be a valid email address' }))
  .transform((e) => e.toLowerCase());

export const passwordSchema = opaqueText
  .min(12, 'must be at least 12 characters')
  .max(256, 'must be at most 256 characters');

export const personNameSchema = lineText.trim().min(1).max(128);

const roleName = lineText.regex(ROLE_NAME_PATTERN, 'must be 1–64 letters, digits, spaces, _ . -');
export const rolesSchema = z.array(roleName).max(50).transform((r) => [...new Set(r)]);

export const createUserSchema = z.strictObject({
  email: emailSchema,
  name: personNameSchema,
  password: passwordSchema,
  roles: rolesSchema.default([]),
  groups: rolesSchema.default([]),
});

export const updateUserSchema = z
  .strictObject({
    name: personNameSchema.optional(),
    roles: rolesSchema.optional(),
    groups: rolesSchema.optional(),
    password: passwordSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change', path: [] });

export const userSchema = z
  .object({
    id: idOut,
    email: z.string().meta({ format: 'email' }),
    name: z.string(),
    roles: z.array(z.string()),
    groups: z.array(z.string()),
    createdAt: dateTimeOut,
  })
  .meta({ id: 'User' });

export type UserJson = z.infer<typeof userSchema>;
export const userEnvelopeSchema = z.object({ user: userSchema });
export const userPageSchema = pageOf(userSchema, 'UserPage');

export const userJson = (u: UserRow): UserJson => ({
  id: u.id,
  email: u.email,
  name: u.name,
  roles: u.roles,
  groups: u.groups,
  createdAt: u.createdAt.toISOString(),
});

export const uuidSchema = z.uuid();
