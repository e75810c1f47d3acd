import { StoreError, storePath, type SecretRef } from './store-types.js';

/** AWS Secrets Manager limits; the local driver enforces the same so both behave alike. */
export const STORE_LIMITS = {
  valueMaxBytes: 65_536,
  descriptionMaxChars: 2048,
  tokenMinChars: 32,
  tokenMaxChars: 64,
  pathMaxChars: 512,
  // The name is also stored as a tag value on AWS, and tag values are limited to 256 characters.
  nameMaxChars: 256,
} as const;

const invalid = (message: string) => new StoreError('Invalid', message, false);

// AWS secret names allow these characters only; companyId must not add path segments.
const PATH_CHARS = /^[A-Za-z0-9/_+=.@-]+$/;
const COMPANY_ID = /^[A-Za-z0-9_-]+$/;
// Printable ASCII without spaces: a UUID always fits, and so does anything AWS accepts as a VersionId.
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

export const validateRef = (ref: SecretRef): void => {
  if (!COMPANY_ID.test(ref.companyId)) throw invalid('companyId is malformed');
  if (ref.name.length === 0) throw invalid('secret name is empty');
  if (ref.name.length > STORE_LIMITS.nameMaxChars)
    throw invalid(`secret name must be at most ${STORE_LIMITS.nameMaxChars} characters`);
  const path = storePath(ref);
  if (path.length > STORE_LIMITS.pathMaxChars || !PATH_CHARS.test(path)) {
    throw invalid(`secret path must be at most ${STORE_LIMITS.pathMaxChars} characters of A-Z a-z 0-9 / _ + = . @ -`);
  }
};

/** Checks the size only; the message never quotes the value. */
export const validateValue = (value: string): void => {
  if (typeof value !== 'string') throw invalid('value must be a string');
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes < 1 || bytes > STORE_LIMITS.valueMaxBytes) {
    throw invalid(`value must be 1 to ${STORE_LIMITS.valueMaxBytes} bytes of UTF-8 (got ${bytes})`);
  }
};

export const validateVersionToken = (token: string, field: 'clientToken' | 'versionId'): void => {
  const { tokenMinChars: min, tokenMaxChars: max } = STORE_LIMITS;
  if (token.length < min || token.length > max || !TOKEN_CHARS.test(token)) {
    throw invalid(`${field} must be ${min} to ${max} printable characters`);
  }
};

export const validateDescription = (description: string | undefined): void => {
  if (description !== undefined && description.length > STORE_LIMITS.descriptionMaxChars) {
    throw invalid(`description must be at most ${STORE_LIMITS.descriptionMaxChars} characters`);
  }
};

export const validateWrite = (
  input: SecretRef & { value: string; clientToken: string; description?: string },
): void => {
  validateRef(input);
  validateVersionToken(input.clientToken, 'clientToken');
  validateValue(input.value);
  validateDescription(input.description);
};

export interface RetryPolicy {
  /** Total tries, including the first. */
  attempts: number;
  baseMs: number;
  capMs: number;
}

/** "Full jitter" exponential backoff: uniform in [0, min(cap, base·2^retry)). `retry` counts from 0. */
export const backoffDelayMs = (
  retry: number,
  policy: Pick<RetryPolicy, 'baseMs' | 'capMs'>,
  random: () => number = Math.random,
): number => Math.floor(random() * Math.min(policy.capMs, policy.baseMs * 2 ** retry));
