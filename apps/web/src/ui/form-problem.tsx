import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { problemOf, splitFieldErrors, type Problem } from '../api/problem';

export interface ProblemFields {
  /** Which form paths show their own error (after `toFormPath`). */
  isField: (formPath: string) => boolean;
  /** The form's name for an API `errors[].path`: `roles[0]` → `roles`, `config.baseUrl` → `baseUrl`. */
  toFormPath?: (apiPath: string) => string;
}

/** One list of field names as a `ProblemFields.isField`. */
export const fieldsIn =
  (fields: readonly string[]) =>
  (path: string): boolean =>
    fields.includes(path);

/** `roles[0]` and `roles.0` → `roles`: a list field shows its items' errors. */
export const listItemToField = (apiPath: string): string => apiPath.replace(/(\[\d+\]|\.\d+)$/, '');

/**
 * Puts the API's field errors (`errors[].path`) next to the fields they name and returns the
 * problem for the form's alert, holding only the errors no field shows.
 */
export const applyProblem = <T extends FieldValues>(
  err: unknown,
  setError: UseFormSetError<T>,
  { isField, toFormPath = (p) => p }: ProblemFields,
): Problem => {
  const problem = problemOf(err);
  const mapped = { ...problem, errors: (problem.errors ?? []).map((e) => ({ ...e, path: toFormPath(e.path) })) };
  const { byField, other } = splitFieldErrors(mapped, isField);
  for (const e of byField) setError(e.path as Path<T>, { type: 'server', message: e.message });
  return { ...problem, errors: other };
};

/** A form's Save and Cancel buttons. */
export function FormActions({
  busy,
  busyLabel,
  submitLabel = 'Save',
  onCancel,
}: {
  busy: boolean;
  busyLabel?: string;
  submitLabel?: string;
  onCancel: () => void;
}) {
  return (
    <div className="actions">
      <button type="submit" disabled={busy}>
        {busy && busyLabel ? busyLabel : submitLabel}
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
