import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, seal, SealError, unseal } from './seal.js';

describe('seal', () => {
  const key = deriveKey(randomBytes(32), 'operation-payload');

  it('round-trips a value under the same key and AAD', () => {
    const blob = seal(key, Buffer.from('canary-ß-✓'), 'op-1|company-1');
    expect(unseal(key, blob, 'op-1|company-1').toString()).toBe('canary-ß-✓');
  });

  it('never contains the plaintext', () => {
    const blob = seal(key, Buffer.from('plain-canary-value'), 'aad');
    expect(blob.includes(Buffer.from('plain-canary-value'))).toBe(false);
  });

  it('refuses another AAD, another key and a flipped bit', () => {
    const blob = seal(key, Buffer.from('v'), 'op-1|company-1');
    expect(() => unseal(key, blob, 'op-2|company-1')).toThrow(SealError);
    expect(() => unseal(deriveKey(randomBytes(32), 'x'), blob, 'op-1|company-1')).toThrow(SealError);
    const flipped = Buffer.from(blob);
    flipped[flipped.length - 1]! ^= 1;
    expect(() => unseal(key, flipped, 'op-1|company-1')).toThrow(SealError);
  });

  it('derives different keys per purpose', () => {
    const master = randomBytes(32);
    expect(deriveKey(master, 'a').equals(deriveKey(master, 'b'))).toBe(false);
  });
});
