/**
 * A short-lived, byte-capped, in-process cache of secret values keyed by (company, secret,
 * store version). A rotation makes a new version and so a new key: a stale value cannot be
 * served. Entries expire after `ttlMs`; `forget` drops a secret's entries (delete, rotation).
 * Values are held in closures only, so no logger or inspector serializes them.
 */
export const valueCacheFactory = ({ maxBytes, ttlMs, now = () => Date.now() }: { maxBytes: number; ttlMs: number; now?: () => number }) => {
  const entries = new Map<string, { read: () => string; bytes: number; expires: number; secret: string }>();
  let bytes = 0;

  const drop = (key: string) => {
    const e = entries.get(key);
    if (!e) return;
    bytes -= e.bytes;
    entries.delete(key);
  };

  const keyOf = (companyId: string, name: string, versionId: string) => `${companyId}/${name}@${versionId}`;

  return {
    get: (companyId: string, name: string, versionId: string): string | undefined => {
      const key = keyOf(companyId, name, versionId);
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= now()) {
        drop(key);
        return undefined;
      }
      // Map order is insertion order: re-insert to mark as recently used.
      entries.delete(key);
      entries.set(key, e);
      return e.read();
    },

    set: (companyId: string, name: string, versionId: string, value: string): void => {
      const size = Buffer.byteLength(value, 'utf8') + 64;
      if (size > maxBytes) return;
      const key = keyOf(companyId, name, versionId);
      drop(key);
      while (bytes + size > maxBytes) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        drop(oldest);
      }
      const held = value;
      entries.set(key, { read: () => held, bytes: size, expires: now() + ttlMs, secret: `${companyId}/${name}` });
      bytes += size;
    },

    forget: (companyId: string, name: string): void => {
      const secret = `${companyId}/${name}`;
      for (const [key, e] of entries) if (e.secret === secret) drop(key);
    },

    stats: () => ({ entries: entries.size, bytes }),

    // Never print values: a console.log or util.inspect of the cache shows only its size.
    toJSON: () => ({ entries: entries.size, bytes }),
    [Symbol.for('nodejs.util.inspect.custom')]: () => `ValueCache(${entries.size} entries, ${bytes} bytes)`,
  };
};

export type ValueCache = ReturnType<typeof valueCacheFactory>;
