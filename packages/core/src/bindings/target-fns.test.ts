import { describe, expect, it } from 'vitest';
import { isBlockedAddress, parseBlockedCidrs } from './target-fns.js';

const DEFAULT = '169.254.0.0/16, fe80::/10, fd00:ec2::254/128, 100.100.100.200/32, 0.0.0.0/8';

describe('blocked connector targets', () => {
  const list = parseBlockedCidrs(DEFAULT);
  it.each(['169.254.169.254', 'fe80::1', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', '::ffff:169.254.169.254'])('blocks %s', (a) => {
    expect(isBlockedAddress(list, a)).toBe(true);
  });
  it.each(['127.0.0.1', '10.0.0.5', '192.168.1.1', '140.82.112.6', '::1', 'fd00:ec2::253'])('allows %s', (a) => {
    expect(isBlockedAddress(list, a)).toBe(false);
  });
  it('refuses a bad CIDR with the entry named', () => {
    expect(() => parseBlockedCidrs('10.0.0.0/8, nope/3')).toThrow(/"nope\/3"/);
    expect(() => parseBlockedCidrs('10.0.0.0/33')).toThrow(/10.0.0.0\/33/);
  });
});
