import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import argon2 from 'argon2';

// OWASP's argon2id baseline (19 MiB, t=2, p=1): strong, and fast enough for a login endpoint.
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string): Promise<string> => argon2.hash(password, ARGON2_OPTIONS);

export const verifyPassword = async (hash: string, password: string): Promise<boolean> => {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
};

let dummyHash: Promise<string> | undefined;
/**
 * Verifies against a throwaway hash so an unknown email costs the same time as a wrong
 * password: the answer and its timing do not reveal which emails exist.
 */
export const burnPasswordCheck = async (password: string): Promise<void> => {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummyHash, password);
};

export const SERVICE_TOKEN_PREFIX = 'nmbl_';

/** Opaque credentials with 256 bits of entropy; only their SHA-256 is stored. */
export const mintCredential = (prefix = ''): { token: string; hash: Buffer } => {
  const token = prefix + randomBytes(32).toString('base64url');
  return { token, hash: hashCredential(token) };
};

// A fast hash is right here: the input is random and long, so there is nothing to brute-force.
// One-shot `crypto.hash`: half the cost of a Hash object, on every authenticated request.
export const hashCredential = (token: string): Buffer => hash('sha256', token, 'buffer');

/** CSRF token bound to one session: HMAC of the session id under the session secret. */
export const csrfTokenFor = (secret: Buffer, sessionId: string): string =>
  createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');

export const safeEqual = (a: string, b: string): boolean => {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
};
