import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  csrfTokenFor,
  hashCredential,
  hashPassword,
  mintCredential,
  safeEqual,
  verifyPassword,
} from './credential-fns.js';

describe('credentials', () => {
  it('hashes passwords with argon2id and verifies only the right one', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(hash).not.toContain('correct horse battery');
    expect(await verifyPassword(hash, 'correct horse battery')).toBe(true);
    expect(await verifyPassword(hash, 'correct horse batterY')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
  });

  it('mints unique prefixed tokens stored only as their hash', () => {
    const a = mintCredential('nmbl_');
    const b = mintCredential('nmbl_');
    expect(a.token).toMatch(/^nmbl_[A-Za-z0-9_-]{43}$/);
    expect(a.token).not.toBe(b.token);
    expect(hashCredential(a.token).equals(a.hash)).toBe(true);
  });

  it('binds a CSRF token to its session', () => {
    const secret = randomBytes(32);
    expect(csrfTokenFor(secret, 's1')).toBe(csrfTokenFor(secret, 's1'));
    expect(csrfTokenFor(secret, 's1')).not.toBe(csrfTokenFor(secret, 's2'));
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'ab')).toBe(false);
  });
});
