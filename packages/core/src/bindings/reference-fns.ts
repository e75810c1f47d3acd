import { SECRET_NAME_MAX, SECRET_NAME_PATTERN } from '../secrets/secret-names.js';

export const ENV_NAME_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
export const SECRET_REF_PREFIX = 'secret:';

export type EnvSource = { kind: 'literal'; value: string } | { kind: 'secret'; name: string };

/**
 * Reads an env value: `secret:<name>` references a secret, anything else is a literal.
 * A value that starts with `secret:` but names no valid secret is an error, not a literal,
 * so a typo never ships the reference text as the variable's value.
 */
export const parseEnvSource = (raw: string): EnvSource | { kind: 'invalid'; message: string } => {
  if (!raw.startsWith(SECRET_REF_PREFIX)) return { kind: 'literal', value: raw };
  const name = raw.slice(SECRET_REF_PREFIX.length);
  if (name === '') return { kind: 'invalid', message: 'secret reference names no secret (secret:<name>)' };
  if (name.length > SECRET_NAME_MAX || !SECRET_NAME_PATTERN.test(name)) {
    return { kind: 'invalid', message: 'secret references look like secret:<lowercase-name-with-hyphens>' };
  }
  return { kind: 'secret', name };
};
