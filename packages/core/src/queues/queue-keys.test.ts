import { QueueKeys } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { sharedEnvSchema } from '../config/env-fns.js';
import { hashTagOf, limiterKey, normalizeQueuePrefix } from './queue-keys.js';
import { QueueName } from './queue-types.js';

/** Redis Cluster's slot of a key: CRC16-XMODEM of its hash tag (or of the whole key) mod 16384. */
const slot = (key: string): number => {
  let crc = 0;
  for (const byte of Buffer.from(hashTagOf(key) ?? key, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
};

/** Every key family the system writes, for one prefix: BullMQ's per queue, plus our limits. */
const keysOf = (prefix: string): string[] => {
  const p = normalizeQueuePrefix(prefix);
  const queueKeys = new QueueKeys(p);
  return [
    ...Object.values(QueueName).flatMap((q) => [
      ...Object.values(queueKeys.getKeys(q)),
      // A job's hash and its logs/locks, and a scheduler's entry, named by job id.
      queueKeys.toKey(q, '0b6f9f58-4a8e-4d7c-9b43-5c8f2a0e1d77'),
      queueKeys.toKey(q, '0b6f9f58-4a8e-4d7c-9b43-5c8f2a0e1d77:lock'),
      queueKeys.toKey(q, '0b6f9f58-4a8e-4d7c-9b43-5c8f2a0e1d77:logs'),
      queueKeys.toKey(q, 'repeat:outbox-relay'),
    ]),
    // rate-limiter-flexible appends ":<hashed key>" to its key prefix.
    `${limiterKey(prefix, 'rl', 'api')}:p0L9mXq3`,
    `${limiterKey(prefix, 'rl', 'login')}:Zk2vB8wQ`,
    // The API's synced limiter: one key per hashed caller and minute window, single-key commands.
    limiterKey(prefix, 'rl', 'api', 'p0L9mXq3', '29371520'),
    limiterKey(prefix, 'store-writes', 'aws', 'eu-west-1'),
  ];
};

describe('redis keys under Redis Cluster', () => {
  it('computes slots as Redis does (the examples of the CLUSTER KEYSLOT documentation)', () => {
    expect(slot('somekey')).toBe(11058);
    expect(slot('foo{hash_tag}')).toBe(2515);
    expect(slot('{hash_tag}')).toBe(2515);
  });

  it('wraps a plain prefix in a hash tag and keeps one that has a tag', () => {
    expect(normalizeQueuePrefix('nembl')).toBe('{nembl}');
    expect(normalizeQueuePrefix('{nembl}')).toBe('{nembl}');
    expect(normalizeQueuePrefix('{nembl}-eu')).toBe('{nembl}-eu');
    expect(normalizeQueuePrefix('eu-{nembl}')).toBe('eu-{nembl}');
    // An empty tag hashes the whole key, so it is no tag at all.
    expect(normalizeQueuePrefix('a{}b')).toBe('{a{}b}');
    expect(normalizeQueuePrefix('a}b{')).toBe('{a}b{}');
    expect(normalizeQueuePrefix(normalizeQueuePrefix('x'))).toBe('{x}');
  });

  it('configures `{nembl}` by default and normalises a configured prefix', () => {
    expect(sharedEnvSchema.parse({}).NEMBL_QUEUE_PREFIX).toBe('{nembl}');
    expect(sharedEnvSchema.parse({ NEMBL_QUEUE_PREFIX: 'acme' }).NEMBL_QUEUE_PREFIX).toBe('{acme}');
    expect(sharedEnvSchema.parse({ NEMBL_QUEUE_PREFIX: '{acme}-prod' }).NEMBL_QUEUE_PREFIX).toBe('{acme}-prod');
  });

  it.each(['nembl', '{nembl}', 'nembltest-abc-1234', '{acme}-prod'])(
    'puts every key family of prefix %s in one slot',
    (prefix) => {
      const keys = keysOf(prefix);
      const tag = hashTagOf(normalizeQueuePrefix(prefix))!;
      expect(keys.length).toBeGreaterThan(100);
      for (const key of keys) {
        expect(hashTagOf(key), key).toBe(tag);
        expect(slot(key), key).toBe(slot(tag));
      }
    },
  );

  it('would spread the keys of one queue over many slots without the tag', () => {
    const raw = Object.values(new QueueKeys('nembl').getKeys(QueueName.SecretOperations));
    expect(new Set(raw.map(slot)).size).toBeGreaterThan(10);
  });
});
