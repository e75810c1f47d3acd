import { BlockList, isIP } from 'node:net';

/** Parses `NEMBL_CONNECTOR_BLOCKED_CIDRS` ("a/n, b/m") into a BlockList; throws naming a bad entry. */
export const parseBlockedCidrs = (raw: string): BlockList => {
  const list = new BlockList();
  for (const entry of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [addr, bits] = entry.split('/');
    const family = addr ? isIP(addr) : 0;
    const prefix = Number(bits ?? (family === 6 ? 128 : 32));
    if (!addr || family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new Error(`NEMBL_CONNECTOR_BLOCKED_CIDRS: "${entry}" is not a CIDR`);
    }
    list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
  }
  return list;
};

/** The eight 16-bit groups of a valid IPv6 address (a zone id is dropped, a dotted tail converted). */
export const ipv6Groups = (address: string): number[] => {
  let text = address.replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
};

const ipv4Of = (high: number, low: number): string => `${high >>> 8}.${high & 0xff}.${low >>> 8}.${low & 0xff}`;

/** 32 bits starting at bit `offset` of the address, skipping bits 64–71 (RFC 6052's "u" octet). */
const rfc6052Ipv4 = (g: number[], prefixBits: number): string => {
  const bytes = g.flatMap((x) => [x >>> 8, x & 0xff]);
  const out: number[] = [];
  for (let i = prefixBits / 8; out.length < 4; i++) if (i !== 8) out.push(bytes[i] ?? 0);
  return out.join('.');
};

/**
 * Every IPv4 address an IPv6 address carries and a network may route to: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64
 * (`64:ff9b::/96`, and the local-use `64:ff9b:1::/48` at every RFC 6052 prefix length), 6to4
 * (`2002:AABB:CCDD::/48`), Teredo (`2001:0::/32`, server and de-obfuscated client) and ISATAP
 * (`…:0:5efe:a.b.c.d`). A translator or relay turns these into plain IPv4 connections, so each must
 * pass the IPv4 blocklist too.
 */
export const embeddedIpv4 = (address: string): string[] => {
  const g = ipv6Groups(address);
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  const out: string[] = [];
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  if (zero(0, 5) && g5 === 0xffff) out.push(ipv4Of(g6, g7)); // mapped
  // `::` and `::1` are the unspecified and loopback addresses, not IPv4-compatible ones.
  if (zero(0, 6) && !(g6 === 0 && g7 <= 1)) out.push(ipv4Of(g6, g7)); // compatible
  if (zero(0, 4) && g4 === 0xffff && g5 === 0) out.push(ipv4Of(g6, g7)); // translated
  if (g0 === 0x64 && g1 === 0xff9b && zero(2, 6)) out.push(ipv4Of(g6, g7)); // NAT64 well-known prefix
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) {
    for (const bits of [48, 56, 64, 96]) out.push(rfc6052Ipv4(g, bits)); // NAT64 local-use prefix
  }
  if (g0 === 0x2002) out.push(ipv4Of(g1, g2)); // 6to4
  if (g0 === 0x2001 && g1 === 0) out.push(ipv4Of(g2, g3), ipv4Of(~g6 & 0xffff, ~g7 & 0xffff)); // Teredo
  if ((g4 & 0xfcff) === 0 && g5 === 0x5efe) out.push(ipv4Of(g6, g7)); // ISATAP
  return out;
};

/** Whether `address` (v4, or v6 including every form that embeds a v4 address) falls in a blocked range. */
export const isBlockedAddress = (list: BlockList, address: string): boolean => {
  const family = isIP(address);
  if (family === 4) return list.check(address, 'ipv4');
  if (family === 6) {
    if (embeddedIpv4(address).some((v4) => list.check(v4, 'ipv4'))) return true;
    return list.check(address.replace(/%.*$/, ''), 'ipv6');
  }
  return true; // not an IP at all: refuse
};
