/**
 * Glob matching for actions, resource names and `StringLike`: `*` matches any run of characters
 * (including none), `?` exactly one character; everything else is literal and case-sensitive.
 */

export type StringMatcher = (value: string) => boolean;

export const hasWildcard = (glob: string): boolean => glob.includes('*') || glob.includes('?');

const matchAll: StringMatcher = () => true;

const STAR = 42; // '*'
const QUESTION = 63; // '?'

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/**
 * Matches a whole value against a glob in O(glob × value) time, without recursion or allocation.
 * A RegExp would be shorter, but `*a*a*a*…b` patterns backtrack exponentially there, and globs
 * come from user-written policies. `?` takes a whole surrogate pair, so it means one character
 * (code point), not one UTF-16 unit.
 */
const wildcardMatch = (glob: string, value: string): boolean => {
  let g = 0;
  let v = 0;
  let starG = -1;
  let starV = 0;
  while (v < value.length) {
    const c = g < glob.length ? glob.charCodeAt(g) : -1;
    if (c === STAR) {
      starG = g++;
      starV = v;
    } else if (c === QUESTION) {
      g++;
      v += isHighSurrogate(value.charCodeAt(v)) && isLowSurrogate(value.charCodeAt(v + 1)) ? 2 : 1;
    } else if (c !== -1 && c === value.charCodeAt(v)) {
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
  while (g < glob.length && glob.charCodeAt(g) === STAR) g++;
  return g === glob.length;
};

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
  return (value) => wildcardMatch(collapsed, value);
};

/** One matcher for several globs: true when any glob matches. */
export const compileGlobs = (globs: readonly string[]): StringMatcher => {
  if (globs.some((g) => g.replace(/\*+/g, '*') === '*')) return matchAll;
  const exact = new Set(globs.filter((g) => !hasWildcard(g)));
  const wild = globs.filter(hasWildcard).map(compileGlob);
  const onlyExact = [...exact][0];
  if (wild.length === 0)
    return exact.size === 1 && onlyExact !== undefined ? compileGlob(onlyExact) : (v) => exact.has(v);
  const onlyWild = wild[0];
  if (exact.size === 0 && wild.length === 1 && onlyWild !== undefined) return onlyWild;
  return (value) => {
    if (exact.size > 0 && exact.has(value)) return true;
    for (const m of wild) if (m(value)) return true;
    return false;
  };
};
