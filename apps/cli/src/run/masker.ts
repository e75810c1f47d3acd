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
  /** Masks a chunk; returns what can be written now, in order (possibly nothing). Pieces may share memory with `chunk`. */
  push(chunk: Buffer): Buffer[];
  /** End of input: everything still held back, masked. */
  flush(): Buffer[];
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

const TABLE_BITS = 18;
const TABLE_MASK = (1 << TABLE_BITS) - 1;

/** Hash of the `B` bytes ending at `i` (B ≤ 4). Collisions only shorten shifts, never lose a match. */
const blockHash = (d: Buffer, i: number, B: number): number => {
  let h = 0;
  for (let k = i - B + 1; k <= i; k++) h = ((h << 5) ^ d[k]!) & TABLE_MASK;
  return h;
};

const wuManber = (patterns: Buffer[]): WuManber => {
  const m = Math.min(...patterns.map((p) => p.length));
  // 4-byte blocks keep shifts long for hundreds of patterns; shorter patterns need shorter blocks.
  const B = Math.min(4, m);
  const shift = new Uint8Array(1 << TABLE_BITS).fill(Math.min(255, m - B + 1));
  const buckets = new Map<number, Buffer[]>();
  for (const p of patterns) {
    for (let j = B - 1; j < m; j++) {
      const h = blockHash(p, j, B);
      shift[h] = Math.min(shift[h]!, m - 1 - j);
    }
    const h = blockHash(p, m - 1, B);
    const list = buckets.get(h);
    if (list) list.push(p);
    else buckets.set(h, [p]);
  }
  const matchesAt = (data: Buffer, start: number, p: Buffer): boolean => {
    if (start + p.length > data.length) return false;
    for (let k = 0; k < p.length; k++) if (data[start + k] !== p[k]) return false;
    return true;
  };
  return {
    scan: (data, onMatch) => {
      const n = data.length;
      let i = m - 1;
      while (i < n) {
        // The block hash, inlined for the common 4-byte case (this loop is the masker's hot path).
        const h =
          B === 4
            ? ((data[i - 3]! << 15) ^ (data[i - 2]! << 10) ^ (data[i - 1]! << 5) ^ data[i]!) & TABLE_MASK
            : blockHash(data, i, B);
        const s = shift[h]!;
        if (s > 0) {
          i += s;
          continue;
        }
        const start = i - m + 1;
        let longest = 0;
        for (const p of buckets.get(h)!) if (p.length > longest && matchesAt(data, start, p)) longest = p.length;
        if (longest > 0) onMatch(start, start + longest - 1);
        i += 1;
      }
    },
  };
};

/** A masker for one output stream. Empty patterns are ignored. */
export const streamMasker = (patterns: Buffer[]): StreamMasker => {
  const usable = patterns.filter((p) => p.length > 0);
  if (usable.length === 0) return { push: (c) => (c.length > 0 ? [c] : []), flush: () => [] };
  // Built on first output, so a child that prints nothing costs nothing.
  let tables: { automaton: Automaton; finder: WuManber; maxLen: number } | undefined;
  const built = () =>
    (tables ??= {
      automaton: build(usable),
      finder: wuManber(usable),
      maxLen: Math.max(...usable.map((p) => p.length)),
    });

  /** Bytes read and not yet written, starting at absolute offset `heldAt` (at most the longest pattern). */
  let held: Buffer = Buffer.alloc(0);
  let heldAt = 0;
  /** Masked runs [start, end] (absolute, inclusive) not yet written, sorted and merged; the first may start before `heldAt`. */
  let runs: Array<[number, number]> = [];

  const addRun = (a: number, b: number) => {
    const last = runs[runs.length - 1];
    if (last && last[1] + 1 >= a) last[1] = Math.max(last[1], b);
    else runs.push([a, b]);
  };

  /**
   * Writes out what is decided in held + chunk (absolute [heldAt, end)), without copying the
   * chunk: bytes before `safe` outside runs, and runs that can no longer grow, as `***`.
   */
  const emit = (chunk: Buffer, safe: number, final: boolean): Buffer[] => {
    const chunkAt = heldAt + held.length;
    const end = chunkAt + chunk.length;
    const parts: Buffer[] = [];
    const bytes = (from: number, to: number) => {
      if (from < chunkAt) parts.push(held.subarray(from - heldAt, Math.min(to, chunkAt) - heldAt));
      if (to > chunkAt) parts.push(chunk.subarray(Math.max(from, chunkAt) - chunkAt, to - chunkAt));
    };
    let cursor = heldAt;
    let k = 0;
    for (; k < runs.length; k++) {
      const [start, last] = runs[k]!;
      // A run that reaches the held-back suffix may still grow.
      if (!final && last + 1 >= safe) break;
      if (start > cursor) bytes(cursor, start);
      parts.push(MASK);
      cursor = last + 1;
    }
    const until = final ? end : k < runs.length ? Math.min(runs[k]![0], safe) : safe;
    if (until > cursor) bytes(cursor, until);
    runs = runs.slice(k);
    const keepFrom = final ? end : Math.max(cursor, safe);
    // Copy what is kept (a few bytes), so the chunk is not retained.
    const kept: Buffer[] = [];
    if (keepFrom < chunkAt) kept.push(held.subarray(keepFrom - heldAt));
    if (end > keepFrom) kept.push(chunk.subarray(Math.max(keepFrom, chunkAt) - chunkAt));
    held = Buffer.concat(kept);
    heldAt = keepFrom;
    return parts;
  };

  return {
    push: (chunk: Buffer): Buffer[] => {
      if (chunk.length === 0) return [];
      const { automaton, finder, maxLen } = built();
      const chunkAt = heldAt + held.length;
      // Runs inside the held bytes are found again; only one reaching back before them is kept.
      runs = runs.filter(([start]) => start < heldAt);
      if (held.length > 0) {
        // Occurrences that start in the held bytes: scan them with the start of the chunk.
        const boundary = Buffer.concat([held, chunk.subarray(0, maxLen - 1)]);
        finder.scan(boundary, (start, last) => {
          if (heldAt + start < chunkAt) addRun(heldAt + start, heldAt + last);
        });
      }
      finder.scan(chunk, (start, last) => addRun(chunkAt + start, chunkAt + last));
      const tail = chunk.length >= maxLen ? chunk : Buffer.concat([held, chunk]);
      const end = chunkAt + chunk.length;
      const safe = end - partialMatchLength(automaton, maxLen, tail);
      // Fast path: no occurrence and nothing to hold back.
      if (runs.length === 0 && safe === end) {
        const out = held.length > 0 ? [held, chunk] : [chunk];
        held = Buffer.alloc(0);
        heldAt = end;
        return out;
      }
      return emit(chunk, safe, false);
    },
    flush: (): Buffer[] => emit(Buffer.alloc(0), heldAt + held.length, true),
  };
};

/** Masks a whole buffer at once. */
export const maskAll = (patterns: Buffer[], input: Buffer): Buffer => {
  const m = streamMasker(patterns);
  return Buffer.concat([...m.push(input), ...m.flush()]);
};
