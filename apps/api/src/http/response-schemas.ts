import { z } from 'zod';
import { DEFAULT_LIMIT } from './pagination.js';

/**
 * Building blocks of response schemas. Each response shape is a zod schema beside its mapper; the
 * OpenAPI document is generated from them and every JSON response is serialized through them.
 */

/** Times are ISO 8601 UTC strings (`Date.prototype.toISOString`). */
export const dateTimeOut = z.iso.datetime();
/** Ids are UUIDs (checked loosely: any 8-4-4-4-12 hex string). */
export const idOut = z.guid();

export const MAX_PAGE_LIMIT = 200;

const pageItems = new WeakMap<z.ZodType, z.ZodType>();

/** The item schema of a page schema made by `pageOf`, or undefined for any other schema. */
export const pageItemOf = (schema: z.ZodType): z.ZodType | undefined => pageItems.get(schema);

/** `{ items, nextCursor }` of a paginated list. */
export const pageOf = <T extends z.ZodType>(item: T, id: string) => {
  const page = z
    .object({
      items: z.array(item),
      nextCursor: z
        .string()
        .nullable()
        .meta({ description: 'Pass as `?cursor=` for the next page; null on the last page.' }),
    })
    .meta({
      id,
      description: `A page of results (\`?limit=\` 1–${MAX_PAGE_LIMIT}, default ${DEFAULT_LIMIT}; opaque \`?cursor=\`).`,
    });
  pageItems.set(page, item);
  return page;
};

export const decisionReasonOut = z.enum(['explicit_allow', 'explicit_deny', 'implicit_deny']);
