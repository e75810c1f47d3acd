/** Formats a path like ['statements', 2, 'conditions'] as `statements[2].conditions`. */
export const formatFieldPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
};
