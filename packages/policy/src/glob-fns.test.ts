import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobs } from './glob-fns.js';

describe('compileGlob', () => {
  it.each([
    ['secrets:read', 'secrets:read', true],
    ['secrets:read', 'secrets:reads', false],
    ['secrets:read', 'Secrets:read', false],
    ['secrets:*', 'secrets:read_value', true],
    ['secrets:*', 'secrets:', true],
    ['secrets:*', 'connectors:read', false],
    ['*', '', true],
    ['**', 'anything', true],
    ['*:read', 'audit:read', true],
    ['*:read', 'audit:read_all', false],
    ['prod-*-db', 'prod-eu-db', true],
    ['prod-*-db', 'prod-db', false],
    ['prod-?', 'prod-1', true],
    ['prod-?', 'prod-12', false],
    ['prod-?', 'prod-', false],
    ['?', '😀', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbYcZ', false],
    ['*a*', 'bab', true],
    ['', '', true],
    ['', 'x', false],
  ])('matches %j against %j as %s', (glob, value, expected) => {
    expect(compileGlob(glob)(value)).toBe(expected);
  });

  it('agrees with a code-point RegExp on random globs and values, emoji included', () => {
    const reference = (glob: string) =>
      new RegExp(
        `^${Array.from(glob, (c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
        'su',
      );
    const text = (chars: string[], maxLength: number) =>
      fc.array(fc.constantFrom(...chars), { maxLength }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(text(['a', 'b', '*', '?', '😀', '.'], 8), text(['a', 'b', '😀', '.'], 10), (glob, value) => {
        expect(compileGlob(glob)(value)).toBe(reference(glob).test(value));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('stays fast on patterns that make a backtracking RegExp explode', () => {
    const glob = `${'*a'.repeat(40)}*b`;
    const value = 'a'.repeat(1000);
    const started = performance.now();
    expect(compileGlob(glob)(value)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('compileGlobs', () => {
  it('matches when any glob matches', () => {
    const m = compileGlobs(['secrets:read', 'workflows:*']);
    expect(m('secrets:read')).toBe(true);
    expect(m('workflows:run')).toBe(true);
    expect(m('secrets:use')).toBe(false);
  });
  it('handles only exact names and only globs', () => {
    expect(compileGlobs(['a', 'b'])('b')).toBe(true);
    expect(compileGlobs(['a', 'b'])('c')).toBe(false);
    expect(compileGlobs(['prod-*'])('prod-db')).toBe(true);
    expect(compileGlobs(['prod-*'])('dev-db')).toBe(false);
    expect(compileGlobs(['x', '**'])('anything')).toBe(true);
  });
  it('matches nothing for no globs', () => {
    expect(compileGlobs([])('x')).toBe(false);
  });
});
