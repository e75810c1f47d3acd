/**
 * A streaming multi-pattern masker over bytes: every occurrence of any pattern is replaced by
 * `***` (overlapping or adjacent occurrences become one `***`), whatever the chunking of the
 * input. Output is held back only while it may still be part of an occurrence: the longest
 * suffix of what was read that is a prefix of some pattern.
 *
 * Occurrences are found with Wu–Manber (a shift table over 4-byte blocks skips most of the
 * text without looking at it, which a byte-at-a-time loop in JavaScript cannot match); the
 * held-back suffix is looked up, longest first, among the sorted patterns.
 */

export const MASK = Buffer.from('***');

/**
 * Which byte strings begin some pattern: the patterns, plus a table of their first two bytes
 * that rules out almost every candidate without a search. Built in well under a millisecond,
 * where an Aho–Corasick automaton for 200 patterns took 10–20 ms in a fresh process (paid before
 * the first byte of output) to answer the same question for the last few bytes of each read.
 */
interface PrefixIndex {
  patterns: Buffer[];
  /** 1 where some pattern starts with this byte (index b) or these two bytes (index 256 + (b0 << 8 | b1)). */
  starts: Uint8Array;
}

const prefixIndex = (patterns: Buffer[]): PrefixIndex => {
  const starts = new Uint8Array(256 + 65536);
  for (const p of patterns) {
    starts[p[0]!] = 1;
    if (p.length > 1) starts[256 + ((p[0]! << 8) | p[1]!)] = 1;
  }
  return { patterns, starts };
};

/**
 * Whether `data[from, to)` begins some pattern. Reached only past the two-byte table (a few
 * times per read), so a plain loop over the patterns: it compiles small, where a binary search
 * through subarray() and Buffer.compare() cost the optimizing compiler more CPU (on its thread,
 * in every run) than all its calls together.
 */
const beginsPattern = ({ patterns }: PrefixIndex, data: Buffer, from: number, to: number): boolean => {
  const len = to - from;
  for (let q = 0; q < patterns.length; q++) {
    const p = patterns[q]!;
    if (p.length < len) continue;
    let k = 0;
    while (k < len && p[k] === data[from + k]) k++;
    if (k === len) return true;
  }
  return false;
};

export interface StreamMasker {
  /** Masks a chunk; returns what can be written now, in order (possibly nothing). Pieces may share memory with `chunk`. */
  push(chunk: Buffer): Buffer[];
  /** End of input: everything still held back, masked. */
  flush(): Buffer[];
}

/** Length of the longest suffix of `data` that begins some pattern (at most `maxLen`). */
const partialMatchLength = (index: PrefixIndex, maxLen: number, data: Buffer): number => {
  const { starts } = index;
  const n = data.length;
  for (let k = Math.min(maxLen, n); k > 0; k--) {
    const at = n - k;
    const likely = k === 1 ? starts[data[at]!] : starts[256 + ((data[at]! << 8) | data[at + 1]!)];
    if (likely === 1 && beginsPattern(index, data, at, n)) return k;
  }
  return 0;
};

interface WuManber {
  /** Every occurrence wholly inside `data`, in order of start, appended to `found` as pairs (start, end inclusive). */
  scan(data: Buffer, found: number[]): void;
}

/**
 * 2^15 one-byte shifts: 32 KiB, which stays in the L1 cache next to the text streaming past it
 * (the 256 KiB table of 2^18 did not, and the walk waited on it: ~22% slower on the same text,
 * for fewer false candidates that cost nothing next to that).
 */
const TABLE_BITS = 15;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
/** Texts shorter than this are walked in one lane: splitting them would save less than it costs. */
const TWO_LANES_FROM = 4096;
/** Candidates a lane of the two-lane walk records before it stops (the rest of the text is walked one lane at a time). */
const LANE_CANDIDATES = 1024;

/** Hash of a 4-byte block read little-endian as `x`: its two halves folded together (every byte counts). */
const fold4 = (x: number): number => (x ^ (x >>> 15)) & TABLE_MASK;

/** Hash of the `B` bytes ending at `i` (B ≤ 4). Collisions only shorten shifts, never lose a match. */
const blockHash = (d: Buffer, i: number, B: number): number => {
  if (B === 4) return fold4(d[i - 3]! | (d[i - 2]! << 8) | (d[i - 1]! << 16) | (d[i]! << 24));
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
    let h = 0;
    for (let j = B - 1; j < m; j++) {
      h = blockHash(p, j, B);
      const s = m - 1 - j;
      if (s < shift[h]!) shift[h] = s;
    }
    const list = buckets.get(h);
    if (list) list.push(p);
    else buckets.set(h, [p]);
  }

  // The walk is the hot path: it only skips, and stops at a window whose last block has shift 0
  // (a candidate). Candidates are rare and checked in another function, so the walk stays small,
  // is optimized early and never meets code it has no type feedback for (each such meeting threw
  // the optimized code away: that had cost more than the scan itself). A block is one DataView
  // read (one bounds check) rather than four byte reads.
  /** From window end `i`, skips to the first candidate before `to` (or a position ≥ `to`). */
  const walk = (data: Buffer, view: DataView, i: number, to: number): number => {
    if (B === 4) {
      while (i < to) {
        const x = view.getUint32(i - 3, true);
        const s = shift[(x ^ (x >>> 15)) & TABLE_MASK]!;
        if (s === 0) return i;
        i += s;
      }
      return i;
    }
    while (i < to) {
      const s = shift[blockHash(data, i, B)]!;
      if (s === 0) return i;
      i += s;
    }
    return i;
  };

  /**
   * The two-lane walk: one skip waits on the read, hash and table look-up of the one before it
   * (~12 cycles of latency, a few instructions of work), so two independent lanes in one loop
   * overlap those waits. It only records candidates (checked after it, in order), so the loop
   * has no call and no exit per candidate: 100 MiB with 200 patterns in ~half the time of one
   * lane. `lanes` holds where each lane is (0, 1) and how many candidates it recorded (2, 3).
   */
  const lanes = new Int32Array(4);
  const firstCandidates = new Int32Array(LANE_CANDIDATES);
  const secondCandidates = new Int32Array(LANE_CANDIDATES);
  /** Walks window ends [lanes[0], aTo) and [lanes[1], bTo) in step until either lane ends or either list is full. */
  const walk2 = (view: DataView, aTo: number, bTo: number): void => {
    let a = lanes[0]!;
    let b = lanes[1]!;
    let na = 0;
    let nb = 0;
    while (a < aTo && b < bTo && na < LANE_CANDIDATES && nb < LANE_CANDIDATES) {
      const x = view.getUint32(a - 3, true);
      const y = view.getUint32(b - 3, true);
      const s = shift[(x ^ (x >>> 15)) & TABLE_MASK]!;
      const t = shift[(y ^ (y >>> 15)) & TABLE_MASK]!;
      if (s === 0) firstCandidates[na++] = a++;
      else a += s;
      if (t === 0) secondCandidates[nb++] = b++;
      else b += t;
    }
    lanes[0] = a;
    lanes[1] = b;
    lanes[2] = na;
    lanes[3] = nb;
  };

  /** Appends the longest pattern that starts where the window ending at `i` starts, if any. */
  const check = (data: Buffer, i: number, found: number[]): void => {
    const start = i - m + 1;
    let longest = 0;
    const list = buckets.get(blockHash(data, i, B))!;
    for (let q = 0; q < list.length; q++) {
      const p = list[q]!;
      if (p.length <= longest || start + p.length > data.length) continue;
      let k = 0;
      while (k < p.length && data[start + k] === p[k]) k++;
      if (k === p.length) longest = k;
    }
    if (longest > 0) found.push(start, start + longest - 1);
  };

  /** Checks every candidate among window ends [from, to). */
  const walkAll = (data: Buffer, view: DataView, from: number, to: number, found: number[]): void => {
    for (let i = walk(data, view, from, to); i < to; i = walk(data, view, i + 1, to)) check(data, i, found);
  };

  return {
    scan: (data, found) => {
      const n = data.length;
      const view = new DataView(data.buffer, data.byteOffset, n);
      if (B !== 4 || n < TWO_LANES_FROM) return walkAll(data, view, m - 1, n, found);
      // Each window end belongs to one lane, and the window it ends names the one start a
      // pattern is checked at: the lanes find every occurrence once, whichever lane reads the
      // bytes of the other. The first lane's candidates all come before the second's.
      const mid = (n + m) >> 1;
      lanes[0] = m - 1;
      lanes[1] = mid;
      walk2(view, mid, n);
      // What walk2 left (a lane's end, or a full list: output dense with candidates), one lane at a time.
      for (let k = 0; k < lanes[2]!; k++) check(data, firstCandidates[k]!, found);
      walkAll(data, view, lanes[0]!, mid, found);
      for (let k = 0; k < lanes[3]!; k++) check(data, secondCandidates[k]!, found);
      walkAll(data, view, lanes[1]!, n, found);
    },
  };
};

/** A masker for one output stream. Empty patterns are ignored. */
export const streamMasker = (patterns: Buffer[]): StreamMasker => {
  const usable = patterns.filter((p) => p.length > 0);
  if (usable.length === 0) return { push: (c) => (c.length > 0 ? [c] : []), flush: () => [] };
  // Built on first output, so a child that prints nothing costs nothing.
  let tables: { prefixes: PrefixIndex; finder: WuManber; maxLen: number } | undefined;
  const built = () =>
    (tables ??= {
      prefixes: prefixIndex(usable),
      finder: wuManber(usable),
      maxLen: Math.max(...usable.map((p) => p.length)),
    });

  /** Bytes read and not yet written, starting at absolute offset `heldAt` (at most the longest pattern). */
  let held: Buffer = Buffer.alloc(0);
  let heldAt = 0;
  /** Masked runs [start, end] (absolute, inclusive) not yet written, sorted and merged; the first may start before `heldAt`. */
  let runs: Array<[number, number]> = [];

  /** Occurrences found by the last scan (pairs), reused. */
  const found: number[] = [];

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
      const { prefixes, finder, maxLen } = built();
      const chunkAt = heldAt + held.length;
      // Runs inside the held bytes are found again; only one reaching back before them is kept.
      runs = runs.filter(([start]) => start < heldAt);
      if (held.length > 0) {
        // Occurrences that start in the held bytes: scan them with the start of the chunk.
        const boundary = Buffer.concat([held, chunk.subarray(0, maxLen - 1)]);
        found.length = 0;
        finder.scan(boundary, found);
        for (let k = 0; k < found.length; k += 2)
          if (heldAt + found[k]! < chunkAt) addRun(heldAt + found[k]!, heldAt + found[k + 1]!);
      }
      found.length = 0;
      finder.scan(chunk, found);
      for (let k = 0; k < found.length; k += 2) addRun(chunkAt + found[k]!, chunkAt + found[k + 1]!);
      const tail = chunk.length >= maxLen ? chunk : Buffer.concat([held, chunk]);
      const end = chunkAt + chunk.length;
      const safe = end - partialMatchLength(prefixes, maxLen, tail);
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
