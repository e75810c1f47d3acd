/**
 * Redis keys and Redis Cluster. A key's slot is the CRC16 of its hash tag, the text between its
 * first `{` and the next `}` when that is not empty, else of the whole key. BullMQ's Lua scripts
 * touch several keys of a queue at once (and build some of them inside the script from the
 * prefix), so on a cluster every key of a queue must land in one slot: the prefix must be a hash
 * tag. Every key this system writes starts with the prefix, so the whole deployment shares one slot.
 */

/** The hash tag Redis Cluster would hash for `key`, or undefined when the whole key is hashed. */
export const hashTagOf = (key: string): string | undefined => {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
};

/**
 * The key prefix as it is used: a prefix that already carries a hash tag stays as it is
 * (`{nembl}`, `{nembl}-eu`), any other is wrapped in one (`nembl` → `{nembl}`), so every key of
 * every queue lands in one Redis Cluster slot. Idempotent.
 */
export const normalizeQueuePrefix = (prefix: string): string =>
  hashTagOf(prefix) === undefined ? `{${prefix}}` : prefix;

/** Keys of the process-shared limits (single-key commands), under the same hash tag. */
export const limiterKey = (prefix: string, ...parts: string[]): string =>
  [normalizeQueuePrefix(prefix), ...parts].join(':');
