import { describe, expect, it } from 'vitest';
import { findUnstorableText, lineText, multilineText, opaqueText, TEXT_MESSAGES } from './text-fns.js';

const issues = (schema: typeof lineText, s: string) => (schema.safeParse(s).error?.issues ?? []).map((i) => i.message);

describe('text schemas', () => {
  it('refuse lone surrogates and NUL everywhere, keep well-formed pairs', () => {
    for (const schema of [lineText, multilineText, opaqueText]) {
      expect(issues(schema, 'a\ud800b')).toContain(TEXT_MESSAGES.surrogate);
      expect(issues(schema, '\udc00')).toContain(TEXT_MESSAGES.surrogate);
      expect(issues(schema, 'a\u0000')).not.toEqual([]);
      expect(schema.safeParse('emoji 😀 ünïcödé').success).toBe(true);
    }
  });

  it('allow tab and newlines only in multi-line text, and any control but NUL in opaque text', () => {
    expect(issues(lineText, 'a\tb')).toEqual([TEXT_MESSAGES.control]);
    expect(issues(lineText, 'a\u0085b')).toEqual([TEXT_MESSAGES.control]);
    expect(multilineText.safeParse('a\tb\r\nc').success).toBe(true);
    expect(issues(multilineText, 'a\u001bb')).toEqual([TEXT_MESSAGES.controlMultiline]);
    expect(issues(multilineText, 'a\u007fb')).toEqual([TEXT_MESSAGES.controlMultiline]);
    expect(opaqueText.safeParse('-----BEGIN\r\n\u0001\u001b').success).toBe(true);
  });
});

describe('findUnstorableText', () => {
  it('names the first unstorable string by its path, and a bad key by its object', () => {
    expect(findUnstorableText({ a: ['ok', { b: 'x\u0000' }] })).toEqual({ path: 'a[1].b', message: TEXT_MESSAGES.nul });
    expect(findUnstorableText({ tags: { ['k\ud800']: 'v' } })).toEqual({
      path: 'tags',
      message: `keys ${TEXT_MESSAGES.surrogate}`,
    });
    expect(findUnstorableText({ a: 'fine\n\t', n: 1, z: null })).toBeUndefined();
  });

  it('walks deeply nested input without exhausting the stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableText(deep)?.message).toBe(TEXT_MESSAGES.nul);
  });
});
