import { formatFieldPath, ValidationError, type FieldError } from '@nembl/core';
import { z } from 'zod';

/** Turns zod issues into `errors[]`, one entry per unknown key so each is named. */
export const zodIssuesToFieldErrors = (issues: readonly z.core.$ZodIssue[], root = 'body'): FieldError[] =>
  issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatFieldPath([...issue.path, key]), message: 'unknown field' }));
    }
    const path = formatFieldPath(issue.path);
    return [{ path: path === '' ? root : path, message: issue.message }];
  });

/**
 * Validates `input` or throws a 400 ValidationError naming every bad field. `root` names the
 * input as a whole (`body`, `query`) when the problem is not with one field.
 */
export const parseInput = <S extends z.ZodType>(schema: S, input: unknown, root = 'body'): z.infer<S> => {
  const result = schema.safeParse(input);
  if (!result.success) {
    const errors = zodIssuesToFieldErrors(result.error.issues, root);
    const first = errors[0];
    throw new ValidationError(first ? `${first.path}: ${first.message}` : 'invalid input', { errors });
  }
  return result.data;
};

/** `/:id` path parameters: every resource id is a UUID. */
export const idParams = z.object({ id: z.uuid({ message: 'must be a UUID' }) });
