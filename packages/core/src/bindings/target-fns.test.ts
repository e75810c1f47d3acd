import { describe, expect, it } from 'vitest';
import { embeddedIpv4, isBlockedAddress, parseBlockedCidrs } from './target-fns.js';

const DEFAULT = '169.254.0.0/16, fe80::/10, fd00:ec2::254/128, 100.100.100.200/32, 0.0.0.0/8';

describe('blocked connector targets', () => {
  const list = parseBlockedCidrs(DEFAULT);
  it.each([
    '169.254.169.254',
    'fe80::1',
    'fe80::1%eth0',
    'fd00:ec2::254',
    '100.100.100.200',
    '0.0.0.0',
    '::ffff:169.254.169.254',
  ])('blocks %s', (a) => {
    expect(isBlockedAddress(list, a)).toBe(true);
  });
  it.each([
    '127.0.0.1',
    '10.0.0.5',
    '192.168.1.1',
    '140.82.112.6',
    '::1',
    '::',
    'fd00:ec2::253',
    '2001:db8::1',
    '64:ff9b::a00:5',
  ])('allows %s', (a) => {
    expect(isBlockedAddress(list, a)).toBe(false);
  });

  // The metadata address 169.254.169.254 (and 100.100.100.200) written in every IPv6 form that
  // carries an IPv4 address; the URL parser hands most of them over in hex (`::a9fe:a9fe`).
  it.each([
    ['IPv4-mapped, hex', '::ffff:a9fe:a9fe'],
    ['IPv4-compatible', '::169.254.169.254'],
    ['IPv4-compatible, hex', '::a9fe:a9fe'],
    ['IPv4-translated', '::ffff:0:169.254.169.254'],
    ['IPv4-translated, hex', '::ffff:0:a9fe:a9fe'],
    ['NAT64 well-known prefix', '64:ff9b::169.254.169.254'],
    ['NAT64 well-known prefix, hex', '64:ff9b::a9fe:a9fe'],
    ['NAT64 local-use /96', '64:ff9b:1::a9fe:a9fe'],
    ['NAT64 local-use /48', '64:ff9b:1:a9fe:a9:fe00::'],
    ['NAT64 local-use /64', '64:ff9b:1:0:a9:fea9:fe00:0'],
    ['6to4', '2002:a9fe:a9fe::'],
    ['6to4 with a host part', '2002:a9fe:a9fe:1::1'],
    ['Teredo server', '2001:0:a9fe:a9fe::1'],
    ['Teredo client (obfuscated)', '2001:0:4136:e378:8000:63bf:5601:5601'],
    ['ISATAP', 'fe90::5efe:a9fe:a9fe'],
    ['ISATAP, global', '2001:db8::200:5efe:169.254.169.254'],
    ['other blocked v4 via NAT64', '64:ff9b::100.100.100.200'],
    ['0.0.0.0/8 via 6to4', '2002:0:1::'],
  ])('blocks %s (%s)', (_form, address) => {
    expect(isBlockedAddress(list, address)).toBe(true);
  });

  it('finds the IPv4 address each form carries', () => {
    expect(embeddedIpv4('::169.254.169.254')).toEqual(['169.254.169.254']);
    expect(embeddedIpv4('64:ff9b::a9fe:a9fe')).toEqual(['169.254.169.254']);
    expect(embeddedIpv4('2002:a9fe:a9fe::')).toEqual(['169.254.169.254']);
    expect(embeddedIpv4('2001:0:4136:e378:8000:63bf:5601:5601')).toEqual(['65.54.227.120', '169.254.169.254']);
    expect(embeddedIpv4('::1')).toEqual([]);
    expect(embeddedIpv4('2001:db8::1')).toEqual([]);
  });

  it('refuses a bad CIDR with the entry named', () => {
    expect(() => parseBlockedCidrs('10.0.0.0/8, nope/3')).toThrow(/"nope\/3"/);
    expect(() => parseBlockedCidrs('10.0.0.0/33')).toThrow(/10.0.0.0\/33/);
  });
});
