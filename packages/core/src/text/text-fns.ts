import { z } from 'zod';
import { formatFieldPath } from '../errors/field-path.js';

/**
 * Text rules shared by every request field. Postgres refuses NUL in `text` and `jsonb`, and a
 * lone UTF-16 surrogate in `jsonb` (in `text` it would silently become U+FFFD), so neither may
 * enter anywhere; names and other one-line fields refuse every control character too.
 * Written as regexes so the OpenAPI document shows them as `pattern`s. With the `u` flag a
 * well-formed surrogate pair is one code point, so `\p{Cs}` matches only a lone surrogate.
 */
const NO_LONE_SURROGATE = /^[^\p{Cs}]*$/u;
const NO_NUL = /^[^\0]*$/;
/** No C0/C1 control and no DEL. */
const NO_CONTROL = /^[^\p{Cc}]*$/u;
/** Like NO_CONTROL, but tab, line feed and carriage return are allowed. */
// eslint-disable-next-line no-control-regex -- the point of the check: C0 controls but tab, LF, CR; DEL and C1
const NO_CONTROL_BUT_NEWLINES = /^[^\0-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$/;

export const TEXT_MESSAGES = {
  surrogate: 'must not contain unpaired UTF-16 surrogates',
  nul: 'must not contain NUL characters',
  control: 'must not contain control characters',
  controlMultiline: 'must not contain control characters other than tab and newline',
} as const;

/** Why a string can never be stored, whatever the field; undefined when it can. */
export const unstorableTextReason = (s: string): string | undefined =>
  !NO_LONE_SURROGATE.test(s) ? TEXT_MESSAGES.surrogate : !NO_NUL.test(s) ? TEXT_MESSAGES.nul : undefined;

const text = () => z.string({ message: 'must be a string' }).regex(NO_LONE_SURROGATE, TEXT_MESSAGES.surrogate);

/** Opaque text (secret values, passwords): anything storable. */
export const opaqueText = text().regex(NO_NUL, TEXT_MESSAGES.nul);

/** One-line text (names, labels, emails, filters): no control characters. */
export const lineText = text().regex(NO_CONTROL, TEXT_MESSAGES.control);

/** Multi-line text (descriptions): tab and newlines allowed, other controls not. */
export const multilineText = text().regex(NO_CONTROL_BUT_NEWLINES, TEXT_MESSAGES.controlMultiline);

export interface TextProblem {
  path: string;
  message: string;
}

/**
 * The first string or object key in decoded input (a JSON body, a query) that can never be
 * stored (or would be silently dropped: a `__proto__` key), with its field path. Runs before any schema, so a field a schema forgets is still safe.
 * Iterative, so deeply nested input cannot exhaust the stack.
 */
export const findUnstorableText = (input: unknown): TextProblem | undefined => {
  // Each entry links to its parent, so the path is built only for the one that fails.
  interface Node {
    value: unknown;
    key: PropertyKey | undefined;
    parent: Node | undefined;
  }
  const pathOf = (node: Node | undefined): string => {
    const parts: PropertyKey[] = [];
    for (let n = node; n?.key !== undefined; n = n.parent) parts.push(n.key);
    return formatFieldPath(parts.reverse());
  };
  const stack: Node[] = [{ value: input, key: undefined, parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      const reason = unstorableTextReason(value);
      if (reason) return { path: pathOf(node), message: reason };
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: i, parent: node });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const reason = unstorableTextReason(key);
        // The key itself cannot be part of the path: it is what cannot be shown.
        if (reason) return { path: pathOf(node), message: `keys ${reason}` };
        const childNode = { value: child, key, parent: node };
        // JSON.parse makes `__proto__` an own key; zod records and objects drop it silently.
        if (key === '__proto__') return { path: pathOf(childNode), message: 'is not an accepted key' };
        stack.push(childNode);
      }
    }
  }
  return undefined;
};
