/**
 * Glob matching for actions, resource names and `StringLike`: `*` matches any run of characters
 * (including none), `?` exactly one character; everything else is literal and case-sensitive.
 */

export type StringMatcher = (value: string) => boolean;

export const hasWildcard = (glob: string): boolean => glob.includes('*') || glob.includes('?');

const matchAll: StringMatcher = () => true;

/** Bit masks over the glob's states for one character: which states may advance on it. */
interface CharMasks {
  /** Characters below 128, `words` entries each. */
  readonly ascii: Uint32Array;
  readonly other: ReadonlyMap<number, Uint32Array>;
  /** For characters the glob never names: only the `?` positions advance. */
  readonly anyChar: Uint32Array;
}

/**
 * Compiles a glob (stars collapsed, at least one wildcard) into a bit-parallel automaton: state i
 * means "the first i literal/`?` symbols are matched"; a symbol advances a state, a star keeps it.
 * Matching walks the value once, updating every state at once, so it takes
 * O(value × ⌈symbols / 32⌉) whatever the pattern: no backtracking, no blow-up on `*a*a*a…b`
 * (a RegExp backtracks exponentially there, and globs come from user-written policies). `?` takes
 * a whole surrogate pair, so it means one character (code point), not one UTF-16 unit.
 */
const compileAutomaton = (glob: string): StringMatcher => {
  const symbols: number[] = []; // code points; -1 for `?`
  const loops: number[] = []; // states a star keeps
  for (const ch of glob) {
    if (ch === '*') loops.push(symbols.length);
    else symbols.push(ch === '?' ? -1 : ch.codePointAt(0)!);
  }
  const n = symbols.length;
  const words = (n >>> 5) + 1; // states 0..n
  const bit = (mask: Uint32Array, i: number) => (mask[i >>> 5] = (mask[i >>> 5] ?? 0) | (1 << (i & 31)));
  const loopMask = new Uint32Array(words);
  for (const i of loops) bit(loopMask, i);
  const anyChar = new Uint32Array(words);
  const ascii = new Uint32Array(128 * words);
  const other = new Map<number, Uint32Array>();
  symbols.forEach((c, i) => {
    if (c === -1) bit(anyChar, i);
  });
  for (let c = 0; c < 128; c++) ascii.set(anyChar, c * words);
  symbols.forEach((c, i) => {
    if (c === -1) return;
    if (c < 128) {
      ascii[c * words + (i >>> 5)]! |= 1 << (i & 31);
      return;
    }
    let m = other.get(c);
    if (m === undefined) other.set(c, (m = Uint32Array.from(anyChar)));
    bit(m, i);
  });
  const masks: CharMasks = { ascii, other, anyChar };
  const acceptWord = n >>> 5;
  const acceptBit = 1 << (n & 31);
  return words === 1 ? matchOneWord(masks, loopMask[0]!, acceptBit) : matchWords(masks, loopMask, words, acceptWord, acceptBit);
};

/** The next code point of `value` at `i`, and how many units it takes (1 or 2). */
const codePointAt = (value: string, i: number): number => {
  const c = value.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length) {
    const d = value.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return c;
};

const matchOneWord =
  ({ ascii, other, anyChar }: CharMasks, loops: number, accept: number): StringMatcher =>
  (value) => {
    let d = 1;
    const any = anyChar[0]!;
    for (let i = 0; i < value.length; ) {
      const c = codePointAt(value, i);
      i += c > 0xffff ? 2 : 1;
      const m = c < 128 ? ascii[c]! : (other.get(c)?.[0] ?? any);
      d = (((d & m) << 1) | (d & loops)) >>> 0;
      if (d === 0) return false;
    }
    return (d & accept) !== 0;
  };

const matchWords =
  ({ ascii, other, anyChar }: CharMasks, loops: Uint32Array, words: number, acceptWord: number, acceptBit: number): StringMatcher =>
  (value) => {
    const d = new Uint32Array(words);
    d[0] = 1;
    for (let i = 0; i < value.length; ) {
      const c = codePointAt(value, i);
      i += c > 0xffff ? 2 : 1;
      const table = c < 128 ? ascii : (other.get(c) ?? anyChar);
      const base = c < 128 ? c * words : 0;
      let carry = 0;
      let alive = 0;
      for (let w = 0; w < words; w++) {
        const cur = d[w]!;
        const advanced = cur & table[base + w]!;
        const next = ((advanced << 1) | carry | (cur & loops[w]!)) >>> 0;
        carry = advanced >>> 31;
        d[w] = next;
        alive |= next;
      }
      if (alive === 0) return false;
    }
    return (d[acceptWord]! & acceptBit) !== 0;
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
  return compileAutomaton(collapsed);
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
