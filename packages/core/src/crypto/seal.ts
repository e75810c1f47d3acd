import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Derives a purpose-bound subkey so the master key itself never encrypts data directly. */
export const deriveKey = (masterKey: Buffer, purpose: string): Buffer =>
  Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `nembl:${purpose}`, 32));

/**
 * AES-256-GCM with associated data: a sealed blob only opens with the same key and the same
 * AAD (e.g. operation id + company id), so a payload copied to another row fails to open.
 * Layout: version(1) | iv(12) | tag(16) | ciphertext.
 */
export const seal = (key: Buffer, plaintext: Buffer, aad: string): Buffer => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
};

export class SealError extends Error {
  override name = 'SealError';
}

export const unseal = (key: Buffer, blob: Buffer, aad: string): Buffer => {
  if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new SealError('sealed payload is malformed');
  const iv = blob.subarray(1, 1 + IV_BYTES);
  const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealError('sealed payload failed authentication');
  }
};
