// The Create Secret and Edit forms, validated with the very field schemas the API validates with
// (`@nembl/core/schemas`), so the console and the API cannot disagree on a name or a tag rule.
import {
  descriptionSchema,
  reminderIntervalSchema,
  secretNameSchema,
  secretTypeSchema,
  secretValueSchema,
  SECRET_TAGS_MAX,
  tagsSchema,
} from '@nembl/core/schemas';
import { z } from 'zod';

export const REMINDER_CHOICES = ['none', '30', '60', '90', 'custom'] as const;
export type ReminderChoice = (typeof REMINDER_CHOICES)[number];

export const tagRowsSchema = z
  .array(z.object({ key: z.string(), value: z.string() }))
  .max(SECRET_TAGS_MAX, `at most ${SECRET_TAGS_MAX} tags`)
  .superRefine((rows, ctx) => {
    const seen = new Set<string>();
    rows.forEach((row, i) => {
      const parsed = tagsSchema.safeParse({ [row.key]: row.value });
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          // A bad key is reported as `invalid_key` with the key schema's own issues nested inside.
          const onKey = issue.code === 'invalid_key';
          const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
          ctx.addIssue({ code: 'custom', path: [i, onKey ? 'key' : 'value'], message });
        }
      } else if (seen.has(row.key)) ctx.addIssue({ code: 'custom', path: [i, 'key'], message: 'this tag key is already used' });
      seen.add(row.key);
    });
  });

const reminderFields = {
  reminder: z.enum(REMINDER_CHOICES),
  customDays: z.string(),
};

const checkCustomDays = (v: { reminder: ReminderChoice; customDays: string }, ctx: z.RefinementCtx) => {
  if (v.reminder !== 'custom') return;
  const parsed = reminderIntervalSchema.safeParse(Number(v.customDays));
  if (v.customDays.trim() === '' || !parsed.success)
    ctx.addIssue({ code: 'custom', path: ['customDays'], message: 'Enter a whole number of days from 1 to 3650' });
};

export const createSecretFormSchema = z
  .object({
    name: secretNameSchema,
    value: secretValueSchema,
    multiline: z.boolean(),
    type: secretTypeSchema,
    description: descriptionSchema,
    tags: tagRowsSchema,
    owners: z.array(z.string()),
    ...reminderFields,
  })
  .superRefine(checkCustomDays);
export type CreateSecretForm = z.infer<typeof createSecretFormSchema>;

export const emptyCreateSecretForm = (name = ''): CreateSecretForm => ({
  name,
  value: '',
  multiline: false,
  type: 'custom',
  description: '',
  tags: [],
  owners: [],
  reminder: 'none',
  customDays: '',
});

export const intervalOf = (v: { reminder: ReminderChoice; customDays: string }): number | null =>
  v.reminder === 'none' ? null : v.reminder === 'custom' ? Number(v.customDays) : Number(v.reminder);

export const tagsOf = (rows: Array<{ key: string; value: string }>): Record<string, string> =>
  Object.fromEntries(rows.map((r) => [r.key, r.value]));

export const createSecretBody = (v: CreateSecretForm) => {
  const interval = intervalOf(v);
  return {
    name: v.name,
    value: v.value,
    type: v.type,
    description: v.description,
    tags: tagsOf(v.tags),
    ...(v.owners.length ? { owners: v.owners } : {}),
    ...(interval ? { reminder: { intervalDays: interval } } : {}),
  };
};

export const editSecretFormSchema = z.object({
  type: secretTypeSchema,
  description: descriptionSchema,
  tags: tagRowsSchema,
  owners: z.array(z.string()),
});
export type EditSecretForm = z.infer<typeof editSecretFormSchema>;

export const reminderFormSchema = z.object(reminderFields).superRefine(checkCustomDays);
export type ReminderForm = z.infer<typeof reminderFormSchema>;

export const valueFormSchema = z.object({ value: secretValueSchema, multiline: z.boolean() });
export type ValueForm = z.infer<typeof valueFormSchema>;

/** Maps an API path (`tags.environment`) onto the form's tag rows (`tags.0.key`). */
export const formPathOf = (path: string, rows: Array<{ key: string }>): string => {
  const m = /^tags\.(.+)$/.exec(path);
  if (!m) return path.replace(/^reminder\.intervalDays$/, 'customDays');
  const i = rows.findIndex((r) => r.key === m[1]);
  return i >= 0 ? `tags.${i}.key` : 'tags';
};

export const TAG_SUGGESTIONS: Record<string, string[]> = {
  environment: ['production', 'staging', 'development'],
  service: [],
  sensitivity: ['low', 'medium', 'high'],
};
