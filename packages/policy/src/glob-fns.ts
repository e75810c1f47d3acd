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
 * Compiles globs (stars collapsed, each with a wildcard) into one bit-parallel automaton that
 * matches when any of them does. Glob k owns states s_k … s_k + n_k: state s_k + i means "its first
 * i literal/`?` symbols are matched"; a symbol advances a state, a star keeps it. The globs' states
 * sit side by side in one bit vector (no bit carries from a glob's last state into the next glob,
 * because a last state never advances). Matching walks the value once, updating every state of
 * every glob at once, so it takes O(value × ⌈states / 32⌉) whatever the patterns: no backtracking,
 * no blow-up on `*a*a*a…b` (a RegExp backtracks exponentially there, and globs come from
 * user-written policies), and many short globs share each machine word. `?` takes a whole
 * surrogate pair, so it means one character (code point), not one UTF-16 unit.
 */
const compileAutomaton = (globs: readonly string[]): StringMatcher => {
  const symbols: number[] = []; // code points by state; -1 for `?`, -2 for a glob's last state
  const loops: number[] = []; // states a star keeps
  const starts: number[] = [];
  const accepts: number[] = [];
  for (const glob of globs) {
    starts.push(symbols.length);
    for (const ch of glob) {
      if (ch === '*') loops.push(symbols.length);
      else symbols.push(ch === '?' ? -1 : ch.codePointAt(0)!);
    }
    accepts.push(symbols.length);
    symbols.push(-2);
  }
  const states = symbols.length;
  const words = ((states - 1) >>> 5) + 1;
  const bit = (mask: Uint32Array, i: number) => (mask[i >>> 5] = (mask[i >>> 5] ?? 0) | (1 << (i & 31)));
  const maskOf = (list: readonly number[]) => {
    const m = new Uint32Array(words);
    for (const i of list) bit(m, i);
    return m;
  };
  const loopMask = maskOf(loops);
  const startMask = maskOf(starts);
  const acceptMask = maskOf(accepts);
  const anyChar = maskOf(symbols.flatMap((c, i) => (c === -1 ? [i] : [])));
  const ascii = new Uint32Array(128 * words);
  for (let c = 0; c < 128; c++) ascii.set(anyChar, c * words);
  const other = new Map<number, Uint32Array>();
  symbols.forEach((c, i) => {
    if (c < 0) return;
    if (c < 128) {
      ascii[c * words + (i >>> 5)]! |= 1 << (i & 31);
      return;
    }
    let m = other.get(c);
    if (m === undefined) other.set(c, (m = Uint32Array.from(anyChar)));
    bit(m, i);
  });
  const masks: CharMasks = { ascii, other, anyChar };
  return words === 1
    ? matchOneWord(masks, startMask[0]!, loopMask[0]!, acceptMask[0]!)
    : matchWords(masks, startMask, loopMask, acceptMask, words);
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
  ({ ascii, other, anyChar }: CharMasks, start: number, loops: number, accept: number): StringMatcher =>
  (value) => {
    let d = start;
    const any = anyChar[0]!;
    for (let i = 0; i < value.length;) {
      const c = codePointAt(value, i);
      i += c > 0xffff ? 2 : 1;
      const m = c < 128 ? ascii[c]! : (other.get(c)?.[0] ?? any);
      d = (((d & m) << 1) | (d & loops)) >>> 0;
      if (d === 0) return false;
    }
    return (d & accept) !== 0;
  };

const matchWords =
  (
    { ascii, other, anyChar }: CharMasks,
    start: Uint32Array,
    loops: Uint32Array,
    accept: Uint32Array,
    words: number,
  ): StringMatcher =>
  (value) => {
    const d = Uint32Array.from(start);
    for (let i = 0; i < value.length;) {
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
    for (let w = 0; w < words; w++) if ((d[w]! & accept[w]!) !== 0) return true;
    return false;
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
  return compileAutomaton([collapsed]);
};

/**
 * One matcher for several globs: true when any glob matches. Exact names are one set lookup; a
 * single wildcard glob gets its cheapest form; several share one automaton, so a condition with
 * a thousand globs walks the value once.
 */
export const compileGlobs = (globs: readonly string[]): StringMatcher => {
  const collapsed = globs.map((g) => g.replace(/\*+/g, '*'));
  if (collapsed.includes('*')) return matchAll;
  const exact = new Set(globs.filter((g) => !hasWildcard(g)));
  const wildGlobs = [...new Set(collapsed.filter(hasWildcard))];
  const onlyExact = [...exact][0];
  const wild =
    wildGlobs.length === 0
      ? undefined
      : wildGlobs.length === 1
        ? compileGlob(wildGlobs[0]!)
        : compileAutomaton(wildGlobs);
  if (wild === undefined)
    return exact.size === 1 && onlyExact !== undefined ? compileGlob(onlyExact) : (v) => exact.has(v);
  if (exact.size === 0) return wild;
  return (value) => exact.has(value) || wild(value);
};
