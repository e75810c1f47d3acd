import { BlockList, isIP } from 'node:net';

/** Parses `NEMBL_CONNECTOR_BLOCKED_CIDRS` ("a/n, b/m") into a BlockList; throws naming a bad entry. */
export const parseBlockedCidrs = (raw: string): BlockList => {
  const list = new BlockList();
  for (const entry of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
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

/** Whether `address` (v4, v6, or v4-mapped v6) falls in a blocked range. */
export const isBlockedAddress = (list: BlockList, address: string): boolean => {
  const family = isIP(address);
  if (family === 4) return list.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1] && list.check(mapped[1], 'ipv4')) return true;
    return list.check(address, 'ipv6');
  }
  return true; // not an IP at all: refuse
};
