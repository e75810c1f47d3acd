import { describe, expect, it } from 'vitest';
import { backoffDelayMs, validateRef, validateValue, validateVersionToken } from './store-fns.js';
import { StoreError, storePath } from './store-types.js';

const code = (fn: () => void) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return err instanceof StoreError ? err.code : 'other';
  }
};

describe('store helpers', () => {
  it('names a secret nembl/{companyId}/{name}', () => {
    expect(storePath({ companyId: 'c0ffee00-0000-4000-8000-000000000000', name: 'deploy-token' })).toBe(
      'nembl/c0ffee00-0000-4000-8000-000000000000/deploy-token',
    );
  });

  it('counts value limits in UTF-8 bytes and never quotes the value', () => {
    expect(code(() => validateValue('a'.repeat(65_536)))).toBe('ok');
    expect(code(() => validateValue('🔑'.repeat(16_384)))).toBe('ok');
    expect(code(() => validateValue('🔑'.repeat(16_384) + 'a'))).toBe('Invalid');
    expect(code(() => validateValue(''))).toBe('Invalid');
    try {
      validateValue('canary'.repeat(20_000));
    } catch (err) {
      expect((err as Error).message).not.toContain('canary');
    }
  });

  it('accepts UUID tokens and rejects tokens AWS would refuse', () => {
    expect(code(() => validateVersionToken('0b5c3f34-9d43-4a47-9e3e-6b3a8f1d2c11', 'clientToken'))).toBe('ok');
    expect(code(() => validateVersionToken('x'.repeat(31), 'clientToken'))).toBe('Invalid');
    expect(code(() => validateVersionToken('x'.repeat(65), 'clientToken'))).toBe('Invalid');
    expect(code(() => validateVersionToken(`${'x'.repeat(31)} `, 'clientToken'))).toBe('Invalid');
  });

  it('rejects names AWS cannot store and company ids that would add path segments', () => {
    const companyId = 'c0ffee00-0000-4000-8000-000000000000';
    expect(code(() => validateRef({ companyId, name: 'team/db_password+v2=@x.y-z' }))).toBe('ok');
    expect(code(() => validateRef({ companyId, name: '' }))).toBe('Invalid');
    expect(code(() => validateRef({ companyId, name: 'has space' }))).toBe('Invalid');
    expect(code(() => validateRef({ companyId, name: 'pipe|name' }))).toBe('Invalid');
    expect(code(() => validateRef({ companyId, name: 'n'.repeat(257) }))).toBe('Invalid');
    expect(code(() => validateRef({ companyId: 'a/b', name: 'n' }))).toBe('Invalid');
  });

  it('backs off exponentially with full jitter under a cap', () => {
    const policy = { baseMs: 100, capMs: 1000 };
    expect([0, 1, 2, 3, 4, 10].map((r) => backoffDelayMs(r, policy, () => 0.999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelayMs(3, policy, () => 0)).toBe(0);
  });
});
