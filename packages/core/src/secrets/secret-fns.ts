// Pure: zod only. The console imports this module through `@nembl/core/schemas`, so it must not
// pull in TypeORM, BullMQ, the AWS SDK or Node built-ins.
import { z } from 'zod';
import { lineText, multilineText, opaqueText } from '../text/text-fns.js';

import { SECRET_NAME_MAX, SECRET_NAME_PATTERN } from './secret-names.js';

export { SECRET_NAME_MAX, SECRET_NAME_PATTERN };
export const SECRET_VALUE_MAX_BYTES = 65_536;
export const SECRET_DESCRIPTION_MAX = 2048;
export const SECRET_TAGS_MAX = 50;
export const TAG_KEY_PATTERN = /^[a-z0-9][a-z0-9_./-]*$/;

export const SECRET_TYPES = ['api_key', 'oauth_token', 'password', 'certificate', 'custom'] as const;
export type SecretType = (typeof SECRET_TYPES)[number];

export const SECRET_STATUSES = ['pending', 'active', 'deleting', 'failed', 'deleted'] as const;
export type SecretStatus = (typeof SECRET_STATUSES)[number];

export const secretNameSchema = z
  .string({ message: 'must be a string' })
  .min(1, 'must not be empty')
  .max(SECRET_NAME_MAX, `must be at most ${SECRET_NAME_MAX} characters`)
  .regex(SECRET_NAME_PATTERN, 'must be lowercase letters and digits in words joined by single hyphens');

const utf8 = new TextEncoder();
/** UTF-8 length without Buffer, so this module also runs in the browser (the console validates with it). */
export const utf8Bytes = (s: string): number => utf8.encode(s).length;

// The message never quotes the value: validation errors are returned to the caller and logged.
export const secretValueSchema = opaqueText
  .refine((v) => v.length > 0, 'must not be empty')
  .refine((v) => utf8Bytes(v) <= SECRET_VALUE_MAX_BYTES, `must be at most ${SECRET_VALUE_MAX_BYTES} bytes of UTF-8`);

export const secretTypeSchema = z.enum(SECRET_TYPES, { message: `must be one of ${SECRET_TYPES.join(', ')}` });

export const descriptionSchema = multilineText.max(SECRET_DESCRIPTION_MAX, `must be at most ${SECRET_DESCRIPTION_MAX} characters`);

const tagKeySchema = z
  .string()
  .min(1, 'tag keys must not be empty')
  .max(128, 'tag keys must be at most 128 characters')
  .regex(TAG_KEY_PATTERN, 'tag keys are lowercase letters, digits and _ . / - (no ":")')
  .refine((k) => !k.startsWith('aws'), 'tag keys may not start with "aws"');

export const tagsSchema = z
  .record(tagKeySchema, lineText.max(256, 'tag values must be at most 256 characters'))
  .refine((t) => Object.keys(t).length <= SECRET_TAGS_MAX, `at most ${SECRET_TAGS_MAX} tags`);

export const reminderIntervalSchema = z.number().int('must be a whole number of days').min(1).max(3650);

/** `tag=key:value` filter: splits at the first ':' (keys cannot contain one). */
export const parseTagFilter = (raw: string): { key: string; value: string } | undefined => {
  const i = raw.indexOf(':');
  if (i <= 0) return undefined;
  const key = raw.slice(0, i);
  if (!TAG_KEY_PATTERN.test(key)) return undefined;
  return { key, value: raw.slice(i + 1) };
};
