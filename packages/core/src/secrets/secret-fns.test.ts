import { describe, expect, it } from 'vitest';
import { parseTagFilter, secretNameSchema, secretValueSchema, tagsSchema } from './secret-fns.js';

describe('secret names', () => {
  it.each(['a', 'github-api-token', 'x1-2-3', 'a'.repeat(128)])('accepts %s', (n) => {
    expect(secretNameSchema.safeParse(n).success).toBe(true);
  });
  it.each([
    ['uppercase', 'GitHub'],
    ['a space', 'a b'],
    ['a leading hyphen', '-a'],
    ['a trailing hyphen', 'a-'],
    ['a double hyphen', 'a--b'],
    ['an underscore', 'a_b'],
    ['a dot', 'a.b'],
    ['129 chars', 'a'.repeat(129)],
    ['unicode', 'café'],
    ['empty', ''],
  ])('rejects %s', (_n, name) => {
    expect(secretNameSchema.safeParse(name).success).toBe(false);
  });
});

describe('secret values', () => {
  it('counts UTF-8 bytes, not characters', () => {
    expect(secretValueSchema.safeParse('x'.repeat(65_536)).success).toBe(true);
    expect(secretValueSchema.safeParse('x'.repeat(65_537)).success).toBe(false);
    expect(secretValueSchema.safeParse('é'.repeat(32_768)).success).toBe(true); // 65,536 bytes
    expect(secretValueSchema.safeParse('é'.repeat(32_769)).success).toBe(false); // 65,538 bytes
    expect(secretValueSchema.safeParse('').success).toBe(false);
  });
  it('never echoes the value in its error', () => {
    const r = secretValueSchema.safeParse('canary-'.repeat(20_000));
    expect(JSON.stringify(r.error?.issues)).not.toContain('canary-');
  });
});

describe('tags', () => {
  it('accepts up to 50 tags and refuses 51', () => {
    const tags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
    expect(tagsSchema.safeParse(tags(50)).success).toBe(true);
    expect(tagsSchema.safeParse(tags(51)).success).toBe(false);
  });
  it.each(['aws-region', 'awsx', 'env:prod', 'Env', '', '_x'])('refuses key %j', (k) => {
    expect(tagsSchema.safeParse({ [k]: 'v' }).success).toBe(false);
  });
  it('refuses values over 256 characters', () => {
    expect(tagsSchema.safeParse({ env: 'x'.repeat(257) }).success).toBe(false);
    expect(tagsSchema.safeParse({ env: '' }).success).toBe(true);
  });
  it('splits tag filters at the first colon', () => {
    expect(parseTagFilter('env:prod')).toEqual({ key: 'env', value: 'prod' });
    expect(parseTagFilter('url:https://x')).toEqual({ key: 'url', value: 'https://x' });
    expect(parseTagFilter('env')).toBeUndefined();
    expect(parseTagFilter(':prod')).toBeUndefined();
  });
});
