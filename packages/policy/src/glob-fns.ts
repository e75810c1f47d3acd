/**
 * Glob matching for actions, resource names and `StringLike`: `*` matches any run of characters
 * (including none), `?` exactly one character; everything else is literal and case-sensitive.
 */

export type StringMatcher = (value: string) => boolean;

export const hasWildcard = (glob: string): boolean => glob.includes('*') || glob.includes('?');

const matchAll: StringMatcher = () => true;

// Surrogate pairs make `?` ambiguous in UTF-16; only then do we pay for splitting into code points.
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Matches a whole value against a glob in O(glob × value) time without recursion.
 * A RegExp would be shorter, but `*a*a*a*…b` patterns backtrack exponentially there, and globs
 * come from user-written policies.
 */
const wildcardMatch = (glob: readonly string[], value: readonly string[]): boolean => {
  let g = 0;
  let v = 0;
  let starG = -1;
  let starV = 0;
  while (v < value.length) {
    const c = glob[g];
    if (c === '*') {
      starG = g++;
      starV = v;
    } else if (c !== undefined && (c === '?' || c === value[v])) {
      g++;
      v++;
    } else if (starG >= 0) {
      // Let the last star swallow one more character and retry from there.
      g = starG + 1;
      v = ++starV;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
};

const toChars = (s: string): readonly string[] => (SURROGATE.test(s) ? Array.from(s) : s.split(''));

/** Compiles a glob once into the cheapest matcher that decides it: equality, prefix, suffix or general. */
export const compileGlob = (glob: string): StringMatcher => {
  if (!hasWildcard(glob)) return (value) => value === glob;
  const collapsed = glob.replace(/\*+/g, '*');
  if (collapsed === '*') return matchAll;
  if (!collapsed.includes('?')) {
    const parts = collapsed.split('*');
    if (parts.length === 2) {
      const [prefix = '', suffix = ''] = parts;
      if (suffix === '') return (value) => value.startsWith(prefix);
      if (prefix === '') return (value) => value.endsWith(suffix);
      const min = prefix.length + suffix.length;
      return (value) => value.length >= min && value.startsWith(prefix) && value.endsWith(suffix);
    }
  }
  const chars = toChars(collapsed);
  return (value) => wildcardMatch(chars, toChars(value));
};

/** One matcher for several globs: true when any glob matches. */
export const compileGlobs = (globs: readonly string[]): StringMatcher => {
  if (globs.some((g) => g.replace(/\*+/g, '*') === '*')) return matchAll;
  const exact = new Set(globs.filter((g) => !hasWildcard(g)));
  const wild = globs.filter(hasWildcard).map(compileGlob);
  if (wild.length === 0) return exact.size === 1 ? compileGlob([...exact][0] ?? '') : (value) => exact.has(value);
  return (value) => {
    if (exact.has(value)) return true;
    for (const m of wild) if (m(value)) return true;
    return false;
  };
};
