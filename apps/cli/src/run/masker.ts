/**
 * A streaming multi-pattern masker over bytes: every occurrence of any pattern is replaced by
 * `***` (overlapping or adjacent occurrences become one `***`), whatever the chunking of the
 * input. Output is held back only while it may still be part of an occurrence: the longest
 * suffix of what was read that is a prefix of some pattern.
 *
 * Occurrences are found with Wu–Manber (a shift table over 3-byte blocks skips most of the
 * text without looking at it, which a byte-at-a-time loop in JavaScript cannot match); the
 * held-back suffix comes from an Aho–Corasick automaton run over the last few bytes only.
 */

export const MASK = Buffer.from('***');

/** Automaton states up to this depth get a dense 256-entry row; deeper ones use goto maps and failure links. */
const DENSE_DEPTH = 1;

interface Automaton {
  /** Number of dense states; they are numbered 0…dense-1 (breadth-first order). */
  dense: number;
  delta: Int32Array;
  depth: Int32Array;
  fail: Int32Array;
  /** Goto transitions of the sparse (deep) states. */
  children: Array<Map<number, number>>;
}

const build = (patterns: Buffer[]): Automaton => {
  // Trie, built with maps, then renumbered breadth first so that shallow states come first.
  const kids: Array<Map<number, number>> = [new Map()];
  const ends: number[] = [0];
  for (const p of patterns) {
    let s = 0;
    for (const b of p) {
      let n = kids[s]!.get(b);
      if (n === undefined) {
        n = kids.length;
        kids.push(new Map());
        ends.push(0);
        kids[s]!.set(b, n);
      }
      s = n;
    }
    ends[s] = Math.max(ends[s]!, p.length);
  }
  const order: number[] = [0];
  const depthOld = new Int32Array(kids.length);
  for (let i = 0; i < order.length; i++) {
    const s = order[i]!;
    for (const n of kids[s]!.values()) {
      depthOld[n] = depthOld[s]! + 1;
      order.push(n);
    }
  }
  const id = new Int32Array(kids.length);
  order.forEach((s, i) => (id[s] = i));
  const n = order.length;
  const depth = new Int32Array(n);
  const children: Array<Map<number, number>> = new Array(n);
  let dense = 0;
  for (let i = 0; i < n; i++) {
    const old = order[i]!;
    depth[i] = depthOld[old]!;
    const m = new Map<number, number>();
    for (const [b, c] of kids[old]!) m.set(b, id[c]!);
    children[i] = m;
    if (depth[i]! <= DENSE_DEPTH) dense = i + 1;
  }
  const fail = new Int32Array(n);
  const delta = new Int32Array(dense * 256);
  const step = (s: number, b: number): number => {
    for (;;) {
      if (s < dense) return delta[s * 256 + b]!;
      const c = children[s]!.get(b);
      if (c !== undefined) return c;
      s = fail[s]!;
    }
  };
  // Breadth first: a state's failure link and row are built from shallower states only.
  for (let s = 0; s < n; s++) {
    if (s < dense) {
      for (let b = 0; b < 256; b++) {
        const c = children[s]!.get(b);
        delta[s * 256 + b] = c !== undefined ? c : s === 0 ? 0 : delta[fail[s]! * 256 + b]!;
      }
    }
    for (const [b, c] of children[s]!) fail[c] = s === 0 ? 0 : step(fail[s]!, b);
  }
  return { dense, delta, depth, fail, children };
};

export interface StreamMasker {
  /** Masks a chunk; returns what can be written now (possibly empty). */
  push(chunk: Buffer): Buffer;
  /** End of input: everything still held back, masked. */
  flush(): Buffer;
}

/** Length of the longest suffix of `data` that is a prefix of some pattern (at most `maxLen`). */
const partialMatchLength = (a: Automaton, maxLen: number, data: Buffer): number => {
  const { dense, delta, depth, fail, children } = a;
  let s = 0;
  for (let i = Math.max(0, data.length - maxLen); i < data.length; i++) {
    const b = data[i]!;
    for (;;) {
      if (s < dense) {
        s = delta[s * 256 + b]!;
        break;
      }
      const c = children[s]!.get(b);
      if (c !== undefined) {
        s = c;
        break;
      }
      s = fail[s]!;
    }
  }
  return depth[s]!;
};

interface WuManber {
  /** Every occurrence wholly inside `data`, in order of start: `onMatch(start, endInclusive)`. */
  scan(data: Buffer, onMatch: (start: number, end: number) => void): void;
}

const TABLE_BITS = 16;

const wuManber = (patterns: Buffer[]): WuManber => {
  const m = Math.min(...patterns.map((p) => p.length));
  const B = Math.min(3, m);
  const hash =
    B === 3
      ? (d: Buffer, i: number) => ((d[i - 2]! << 10) ^ (d[i - 1]! << 5) ^ d[i]!) & ((1 << TABLE_BITS) - 1)
      : B === 2
        ? (d: Buffer, i: number) => (d[i - 1]! << 8) | d[i]!
        : (d: Buffer, i: number) => d[i]!;
  const shift = new Uint32Array(1 << TABLE_BITS).fill(m - B + 1);
  const buckets = new Map<number, Buffer[]>();
  for (const p of patterns) {
    for (let j = B - 1; j < m; j++) {
      const h = hash(p, j);
      shift[h] = Math.min(shift[h]!, m - 1 - j);
    }
    const h = hash(p, m - 1);
    const list = buckets.get(h);
    if (list) list.push(p);
    else buckets.set(h, [p]);
  }
  return {
    scan: (data, onMatch) => {
      const n = data.length;
      let i = m - 1;
      while (i < n) {
        const h = hash(data, i);
        const s = shift[h]!;
        if (s > 0) {
          i += s;
          continue;
        }
        const start = i - m + 1;
        let longest = 0;
        for (const p of buckets.get(h)!) {
          if (
            p.length > longest &&
            start + p.length <= n &&
            data[start] === p[0] &&
            p.equals(data.subarray(start, start + p.length))
          )
            longest = p.length;
        }
        if (longest > 0) onMatch(start, start + longest - 1);
        i += 1;
      }
    },
  };
};

/** A masker for one output stream. Empty patterns are ignored. */
export const streamMasker = (patterns: Buffer[]): StreamMasker => {
  const usable = patterns.filter((p) => p.length > 0);
  if (usable.length === 0) return { push: (c) => c, flush: () => Buffer.alloc(0) };
  // Built on first output, so a child that prints nothing costs nothing.
  let tables: { automaton: Automaton; finder: WuManber; maxLen: number } | undefined;
  const built = () =>
    (tables ??= {
      automaton: build(usable),
      finder: wuManber(usable),
      maxLen: Math.max(...usable.map((p) => p.length)),
    });

  /** Bytes read and not yet written, starting at absolute offset `heldAt`. */
  let held: Buffer = Buffer.alloc(0);
  let heldAt = 0;
  /** Masked runs [start, end] (absolute, inclusive) not yet written, sorted and merged; the first may start before `heldAt`. */
  let runs: Array<[number, number]> = [];

  const emit = (data: Buffer, safe: number, final: boolean): Buffer => {
    const base = heldAt;
    const end = base + data.length;
    const parts: Buffer[] = [];
    let cursor = base;
    let k = 0;
    for (; k < runs.length; k++) {
      const [start, last] = runs[k]!;
      // A run that reaches the held-back suffix may still grow.
      if (!final && last + 1 >= safe) break;
      if (start > cursor) parts.push(data.subarray(cursor - base, start - base));
      parts.push(MASK);
      cursor = last + 1;
    }
    const until = final ? end : k < runs.length ? Math.min(runs[k]![0], safe) : safe;
    if (until > cursor) parts.push(data.subarray(cursor - base, until - base));
    runs = runs.slice(k);
    const keepFrom = final ? end : Math.max(cursor, safe);
    // Copy what is kept, so a large chunk is not retained for a few bytes.
    held = Buffer.from(data.subarray(keepFrom - base));
    heldAt = keepFrom;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };

  const scan = (data: Buffer) => {
    // Runs inside the held bytes are found again; only one reaching back before them is kept.
    runs = runs.filter(([start]) => start < heldAt);
    built().finder.scan(data, (start, end) => {
      const a = heldAt + start;
      const b = heldAt + end;
      const last = runs[runs.length - 1];
      if (last && last[1] + 1 >= a) last[1] = Math.max(last[1], b);
      else runs.push([a, b]);
    });
  };

  return {
    push: (chunk: Buffer): Buffer => {
      if (chunk.length === 0) return chunk;
      const data = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      scan(data);
      const { automaton, maxLen } = built();
      const safe = heldAt + data.length - partialMatchLength(automaton, maxLen, data);
      // Fast path: no occurrence and nothing held back.
      if (runs.length === 0 && safe === heldAt + data.length) {
        heldAt = safe;
        held = Buffer.alloc(0);
        return data;
      }
      return emit(data, safe, false);
    },
    flush: (): Buffer => emit(held, heldAt + held.length, true),
  };
};

/** Masks a whole buffer at once. */
export const maskAll = (patterns: Buffer[], input: Buffer): Buffer => {
  const m = streamMasker(patterns);
  return Buffer.concat([m.push(input), m.flush()]);
};
