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

  const reference = (glob: string) =>
    new RegExp(
      `^${Array.from(glob, (c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
      'su',
    );
  const text = (chars: string[], maxLength: number, minLength = 0) =>
    fc.array(fc.constantFrom(...chars), { minLength, maxLength }).map((cs) => cs.join(''));

  // A RegExp backtracks exponentially on long globs with many stars, so long ones are checked
  // against the textbook dynamic programme over code points instead.
  const dynamicMatch = (glob: string, value: string): boolean => {
    const g = Array.from(glob);
    const v = Array.from(value);
    let row = g.map(() => false);
    row = [true, ...row];
    for (let i = 1; i <= g.length; i++) row[i] = row[i - 1]! && g[i - 1] === '*';
    for (const ch of v) {
      const next = [false];
      for (let i = 1; i <= g.length; i++) {
        const p = g[i - 1];
        next[i] = p === '*' ? next[i - 1]! || row[i]! : row[i - 1]! && (p === '?' || p === ch);
      }
      row = next;
    }
    return row[g.length]!;
  };

  it('agrees with a code-point RegExp on random globs and values, emoji included', () => {
    fc.assert(
      fc.property(text(['a', 'b', '*', '?', '😀', '.'], 8), text(['a', 'b', '😀', '.'], 10), (glob, value) => {
        expect(compileGlob(glob)(value)).toBe(reference(glob).test(value));
        expect(dynamicMatch(glob, value)).toBe(reference(glob).test(value));
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('agrees with the dynamic programme on globs longer than one machine word (33–100 symbols)', () => {
    // Values built from the glob itself, mutated, so that long globs match often enough to matter.
    const pair = text(['a', 'b', '*', '?', '😀'], 100, 33).chain((glob) =>
      fc.tuple(
        fc.constant(glob),
        fc.oneof(
          text(['a', 'b', '😀'], 120),
          fc
            .tuple(
              fc.array(fc.constantFrom('', 'a', 'b', 'ab', '😀'), { minLength: 1, maxLength: glob.length }),
              fc.nat(glob.length),
            )
            .map(([fill, cut]) => {
              const out = Array.from(glob, (c, i) =>
                c === '*' || c === '?' ? (fill[i % fill.length] ?? '') || (c === '?' ? 'a' : '') : c,
              );
              if (cut % 7 === 0) out.splice(cut % out.length, 1);
              return out.join('');
            }),
        ),
      ),
    );
    fc.assert(
      fc.property(pair, ([glob, value]) => {
        expect(compileGlob(glob)(value)).toBe(dynamicMatch(glob, value));
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  // The old two-pointer matcher re-scanned a star's segment from every position: O(value × glob).
  // Each adversarial glob is timed next to the same glob with its a's turned into c's, which no
  // matcher needs to re-scan for, on the same value: a linear matcher takes about as long for both.
  it.each([
    ['*a*a*…*b', `${'*a'.repeat(500)}*b`],
    ['*aaa…ab', `*${'a'.repeat(1000)}b`],
    ['*aaa…a?aaa…ab', `*${'a'.repeat(500)}?${'a'.repeat(500)}b`],
  ])('decides %s against 200,000 a’s about as fast as a glob that never matches a character', (_name, glob) => {
    const value = 'a'.repeat(200_000);
    const time = (g: string) => {
      const matches = compileGlob(g);
      const started = performance.now();
      expect(matches(value)).toBe(false);
      return performance.now() - started;
    };
    time(glob); // warm-up
    const floor = time(glob.replaceAll('a', 'c'));
    const adversarial = time(glob);
    expect(compileGlob(glob)(`${value}b`)).toBe(true);
    expect(adversarial).toBeLessThan(5 * floor + 50);
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

describe('compileGlobs, many at once', () => {
  it('agrees with matching each glob alone, for lists that pack several globs per word and span many words', () => {
    const glob = fc
      .array(fc.constantFrom('a', 'b', '*', '?', '😀'), { minLength: 1, maxLength: 12 })
      .map((cs) => cs.join(''));
    const value = fc.array(fc.constantFrom('a', 'b', '😀'), { maxLength: 14 }).map((cs) => cs.join(''));
    fc.assert(
      fc.property(
        fc.array(glob, { minLength: 1, maxLength: 40 }),
        fc.array(value, { minLength: 1, maxLength: 10 }),
        (globs, values) => {
          const all = compileGlobs(globs);
          const each = globs.map(compileGlob);
          for (const v of values) expect(all(v)).toBe(each.some((m) => m(v)));
        },
      ),
      { seed: 11, numRuns: 1500 },
    );
  });
});
