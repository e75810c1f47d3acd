import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Core, maskForms } from './mask-forms.js';
import { maskAll, streamMasker } from './masker.js';

/** The specification, written the slow and obvious way: mark every byte of every occurrence, then collapse each marked run. */
const naiveMask = (patterns: Buffer[], input: Buffer): Buffer => {
  const marked = new Uint8Array(input.length);
  for (const p of patterns) {
    if (p.length === 0) continue;
    for (let at = input.indexOf(p); at !== -1; at = input.indexOf(p, at + 1)) marked.fill(1, at, at + p.length);
  }
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (!marked[i]) out.push(input[i]!);
    else if (i === 0 || !marked[i - 1]) out.push(...Buffer.from('***'));
  }
  return Buffer.from(out);
};

/** Feeds `input` in pieces cut at `cuts`. */
const maskChunked = (patterns: Buffer[], input: Buffer, cuts: number[]): Buffer => {
  const m = streamMasker(patterns);
  const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of [...points, input.length]) {
    parts.push(...m.push(input.subarray(from, p)));
    from = p;
  }
  parts.push(...m.flush());
  return Buffer.concat(parts);
};

// A small alphabet makes overlaps, shared prefixes and near-misses common.
const text = (max: number) =>
  fc.string({ unit: fc.constantFrom('a', 'b', 'c', '*', '\n'), maxLength: max }).map((s) => Buffer.from(s));
const patternSet = fc.array(
  text(6).filter((b) => b.length > 0),
  { minLength: 1, maxLength: 6 },
);

describe('streamMasker', () => {
  it('masks exactly what the naive definition masks', () => {
    fc.assert(
      fc.property(patternSet, text(80), (patterns, input) => {
        expect(maskAll(patterns, input)).toEqual(naiveMask(patterns, input));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same output for any chunking of the input', () => {
    fc.assert(
      fc.property(patternSet, text(80), fc.array(fc.nat(), { maxLength: 12 }), (patterns, input, cuts) => {
        expect(maskChunked(patterns, input, cuts)).toEqual(naiveMask(patterns, input));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same output fed one byte at a time, with longer patterns', () => {
    const long = fc.array(
      text(24).filter((b) => b.length > 4),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(long, text(200), (patterns, input) => {
        expect(
          maskChunked(
            patterns,
            input,
            Array.from({ length: input.length }, (_, i) => i),
          ),
        ).toEqual(naiveMask(patterns, input));
      }),
      { numRuns: 500 },
    );
  });

  // Patterns of 4+ bytes take the 4-byte-block walk; inputs long enough for long skips.
  const longPatterns = fc.array(
    fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), minLength: 4, maxLength: 40 }),
    { minLength: 1, maxLength: 8 },
  );
  const plantedText = (patterns: string[]) =>
    fc
      .array(
        fc.oneof(
          fc.string({ unit: fc.constantFrom('a', 'b', 'x', 'y', 'z', '\n'), maxLength: 300 }),
          fc.constantFrom(...patterns),
          // A near miss: a pattern without its last byte.
          fc.constantFrom(...patterns).map((p) => p.slice(0, -1)),
        ),
        { maxLength: 40 },
      )
      .map((parts) => Buffer.from(parts.join('')));

  it('masks planted, overlapping and adjacent values in long inputs under any chunking', () => {
    fc.assert(
      fc.property(
        longPatterns.chain((ps) => fc.tuple(fc.constant(ps), plantedText(ps), fc.array(fc.nat(), { maxLength: 20 }))),
        ([ps, input, cuts]) => {
          const patterns = ps.map((p) => Buffer.from(p));
          const expected = naiveMask(patterns, input);
          expect(maskAll(patterns, input)).toEqual(expected);
          expect(maskChunked(patterns, input, cuts)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  // The 4-byte walk reads a block as one 32-bit word: bytes ≥ 0x80 (UTF-8 values, binary output)
  // set its sign bit, and the walk and the table must hash it alike.
  it('masks byte patterns with high bytes (UTF-8, binary) like the naive definition, under any chunking', () => {
    const byte = fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0xc3, 0xbc, 0xff);
    const bytes = (min: number, max: number) =>
      fc.array(byte, { minLength: min, maxLength: max }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(
        fc.array(bytes(4, 12), { minLength: 1, maxLength: 5 }),
        fc.array(fc.oneof(bytes(0, 40), fc.constant(Buffer.from('ü-välue-ÿ'))), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (patterns, pieces, cuts) => {
          const ps = [...patterns, Buffer.from('ü-välue-ÿ')];
          const input = Buffer.concat(pieces.flatMap((p, i) => [p, i % 3 === 0 ? patterns[i % patterns.length]! : p]));
          const expected = naiveMask(ps, input);
          expect(maskAll(ps, input)).toEqual(expected);
          expect(maskChunked(ps, input, cuts)).toEqual(expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('masks a value cut between two reads at every offset, at the start and at the end of a read', () => {
    const value = 'k3y-ZQ0xTm5vdGhlcmtleQ-7';
    const others = [Buffer.from('unrelated-pattern-xyz'), Buffer.from(value.slice(5, 12))];
    const patterns = [Buffer.from(value), ...others];
    const filler = 'log line without secrets, status=200 latency=12ms\n'.repeat(20);
    for (const [before, after] of [
      ['', ''],
      [filler, ''],
      ['', filler],
      [filler, filler],
    ] as const) {
      const input = Buffer.from(`${before}${value}${after}`);
      const expected = naiveMask(patterns, input);
      expect(expected.toString()).toBe(`${before}***${after}`);
      // Every cut through the value and a little around it.
      for (let cut = Math.max(0, before.length - 3); cut <= before.length + value.length + 3; cut++) {
        expect(maskChunked(patterns, input, [cut])).toEqual(expected);
        expect(maskChunked(patterns, input, [before.length + 1, cut])).toEqual(expected);
      }
    }
  });

  // A read of 4 KiB or more is walked in two lanes, one from each half: a value where the
  // halves meet (found by the first lane's windows, read into the second's bytes), or an
  // overlapping pair split by it, must be masked like anywhere else.
  it('masks values around the middle of a long read, where its two halves meet', () => {
    const value = 'Zk9vYmFyLXNlY3JldC12YWx1ZS0wMQ';
    const patterns = [value, value.slice(0, 12) + 'other-tail', value.slice(10)].map((p) => Buffer.from(p));
    const filler = (n: number) =>
      Buffer.from('log line, status=200 latency=12ms\n'.repeat(Math.ceil(n / 34)).slice(0, n));
    for (const size of [4096, 4097, 9001]) {
      const middle = (size + 12) >> 1; // around where the lanes split, for any of the pattern lengths
      for (let at = middle - value.length - 3; at <= middle + 3; at++) {
        const input = Buffer.concat([filler(at), Buffer.from(value), filler(size - at - value.length)]);
        const expected = naiveMask(patterns, input);
        expect(expected.includes('***')).toBe(true);
        expect(maskAll(patterns, input)).toEqual(expected);
      }
      // Values everywhere, back to back and overlapping, across both halves and both ends.
      const dense = Buffer.from(`${value}${value.slice(0, 20)}${value}x`.repeat(Math.ceil(size / 80)).slice(0, size));
      expect(maskAll(patterns, dense)).toEqual(naiveMask(patterns, dense));
    }
    // Every window a candidate: each lane records its first 1024 and walks the rest alone.
    const runs = [Buffer.from('aaaaaa'), Buffer.from('aaab')];
    const all = Buffer.from(`${'a'.repeat(6000)}b${'a'.repeat(7)}c${'a'.repeat(3000)}b`);
    expect(maskAll(runs, all)).toEqual(naiveMask(runs, all));
    expect(maskAll(runs, all).toString()).toBe('***c***');
  });

  it('passes long output without a match through unchanged, holding back nothing that cannot start a value', () => {
    const patterns = ['Zm9vYmFyLXNlY3JldC12YWx1ZQ', 'foobar-secret-value'].map((p) => Buffer.from(p));
    const m = streamMasker(patterns);
    const line = Buffer.from('2026-12-01T07:00:00.000Z INFO request handled method=GET status=200\n');
    const chunk = Buffer.concat(Array.from({ length: 5000 }, () => line));
    for (let i = 0; i < 3; i++) {
      const out = m.push(chunk);
      // Written at once, and as the very chunk (no copy).
      expect(out).toHaveLength(1);
      expect(out[0]!.buffer).toBe(chunk.buffer);
      expect(out[0]!.length).toBe(chunk.length);
    }
    expect(m.flush()).toEqual([]);
  });

  it('holds back only a possible partial match, so a line without one is written at once', () => {
    const m = streamMasker([Buffer.from('hunter2-secret')]);
    expect(Buffer.concat(m.push(Buffer.from('plain line\n'))).toString()).toBe('plain line\n');
    expect(Buffer.concat(m.push(Buffer.from('token: hunt'))).toString()).toBe('token: ');
    expect(Buffer.concat(m.push(Buffer.from('er2-sec'))).toString()).toBe('');
    expect(Buffer.concat(m.push(Buffer.from('ret done\n'))).toString()).toBe('*** done\n');
    expect(Buffer.concat(m.push(Buffer.from('hunter'))).toString()).toBe('');
    expect(Buffer.concat(m.push(Buffer.from('!\n'))).toString()).toBe('hunter!\n');
    expect(Buffer.concat(m.flush()).toString()).toBe('');
  });

  it('writes a held-back prefix at the end of the stream', () => {
    const m = streamMasker([Buffer.from('abcdef')]);
    expect(Buffer.concat(m.push(Buffer.from('xxabc'))).toString()).toBe('xx');
    expect(Buffer.concat(m.flush()).toString()).toBe('abc');
  });
});

describe('maskForms', () => {
  const value = 'sk_live-Canary/Value+42?&é';
  const forms = maskForms(value).map((b) => b.toString());

  it.each([0, 1, 2])('covers the base64 of the value at alignment %i, whatever surrounds it', (offset) => {
    for (const [before, after] of [
      ['', ''],
      ['x', 'yz'],
      ['prefix bytes ', '!'],
    ] as const) {
      const data = Buffer.concat([
        Buffer.alloc(offset, 'q'),
        Buffer.from(before),
        Buffer.from(value),
        Buffer.from(after),
      ]);
      const encoded = data.toString('base64');
      const masked = maskAll(maskForms(value), Buffer.from(encoded)).toString();
      expect(masked).toContain('***');
      // What survives is at most two characters at each edge of the value's span.
      expect(masked.length).toBeLessThan(encoded.length - base64Core(Buffer.from(value), 0).length + 8);
    }
  });

  it('includes base64url, percent-encoding and JSON escaping', () => {
    const b64 = Buffer.from(value).toString('base64url');
    expect(maskAll(maskForms(value), Buffer.from(b64)).toString()).toMatch(/^.{0,2}\*\*\*.{0,3}$/);
    expect(forms).toContain(encodeURIComponent(value));
    expect(forms).toContain(JSON.stringify(value).slice(1, -1));
  });

  it('masks each line of a multi-line value on its own', () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nQ2FuYXJ5Q2VydA==\n-----END CERTIFICATE-----\n';
    const printed = Buffer.from('line 2 is QIBszCCAVmgAwIBAgIU? no: MIIBszCCAVmgAwIBAgIU\n');
    expect(maskAll(maskForms(cert), printed).toString()).toBe('line 2 is QIBszCCAVmgAwIBAgIU? no: ***\n');
  });

  // Reference encoders, written from each library's documented rules and independent of maskForms.
  const hex = (b: number, lower: boolean) =>
    lower ? b.toString(16).padStart(2, '0') : b.toString(16).toUpperCase().padStart(2, '0');
  /** Percent-encodes the UTF-8 bytes of `s`, keeping ASCII letters, digits and `keep` literal. */
  const percent = (s: string, keep: string, { plus = false, lower = false } = {}) =>
    [...Buffer.from(s)]
      .map((b) => {
        const c = String.fromCharCode(b);
        if (b < 0x80 && (/[A-Za-z0-9]/.test(c) || keep.includes(c))) return c;
        if (c === ' ' && plus) return '+';
        return '%' + hex(b, lower);
      })
      .join('');
  const u4 = (c: string, lower = true) => {
    const h = c.charCodeAt(0).toString(16).padStart(4, '0');
    return '\\u' + (lower ? h : h.toUpperCase());
  };
  const jsonBody = (s: string) => JSON.stringify(s).slice(1, -1);
  const pythonJson = (s: string) => jsonBody(s).replace(/[\u007f-\uffff]/g, (c) => u4(c)); // json.dumps, ensure_ascii
  // Jackson: every \u escape in uppercase hex, control characters' too.
  const javaJson = (s: string) =>
    jsonBody(s).replace(/\\u[0-9a-f]{4}|[\u007f-\uffff]/g, (m) =>
      m.length === 1 ? u4(m, false) : '\\u' + m.slice(2).toUpperCase(),
    );
  const goJson = (s: string) => jsonBody(s).replace(/[<>&\u2028\u2029]/g, (c) => u4(c)); // encoding/json, HTML-safe
  const phpJson = (s: string) => pythonJson(s).replace(/\//g, '\\/'); // json_encode: \/ and \uXXXX
  const wrap = (b64: string, width: number, eol: string) =>
    b64.match(new RegExp(`.{1,${width}}`, 'g'))!.join(eol) + eol;

  const hostile = "tok/with(paren)*star! it's <b>&amp; öl ~ 😀\u2028\u001b[0mend";
  it.each([
    ['Python quote (safe="/")', percent(hostile, '-_.~/')],
    ['Python quote (safe=""), curl --data-urlencode', percent(hostile, '-_.~')],
    ['Python quote_plus, Go QueryEscape', percent(hostile, '-_.~', { plus: true })],
    ['Go PathEscape', percent(hostile, '-_.~$&+:=@')],
    ['URLSearchParams', percent(hostile, '*-._', { plus: true })],
    ['lowercase hex', percent(hostile, "-_.!~*'()", { lower: true })],
    ['lowercase hex, unreserved only', percent(hostile, '-_.~', { lower: true })],
    ['Python json.dumps (ensure_ascii)', pythonJson(hostile)],
    ['uppercase \\u escapes', javaJson(hostile)],
    ["Go's HTML-safe JSON", goJson(hostile)],
    ["PHP's json_encode", phpJson(hostile)],
  ])('masks the value as printed by %s', (_name, encoded) => {
    expect(encoded).not.toBe(hostile);
    const masked = maskAll(maskForms(hostile), Buffer.from(`before ${encoded} after`)).toString();
    expect(masked).toBe('before *** after');
  });

  const key = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 97 + 13) % 256)).toString('latin1');
  it.each([
    ['coreutils base64 (76 columns)', 76, '\n'],
    ['MIME (76 columns, CRLF)', 76, '\r\n'],
    ['openssl base64 (64 columns)', 64, '\n'],
    ['PEM (64 columns, CRLF)', 64, '\r\n'],
  ] as const)('masks every line of base64 wrapped as by %s', (_name, width, eol) => {
    // 200 code points of which half encode to 2 bytes: ~300 bytes, several lines at either width.
    for (const value of [key, key.slice(0, 57), key.slice(0, 90)]) {
      for (const trailer of ['', '\n']) {
        const printed = wrap(Buffer.from(value + trailer).toString('base64'), width, eol);
        const masked = maskAll(maskForms(value), Buffer.from(printed)).toString();
        // What is left: the line endings, and at most the last two characters and padding (they depend on what follows).
        expect(masked.replace(/\*\*\*|\r|\n/g, '').length).toBeLessThanOrEqual(4);
        expect(masked.split(eol).filter((l) => l.length > 4 && !l.includes('***'))).toEqual([]);
      }
    }
  });

  it('adds no pattern shorter than the minimum, nor a short last line of wrapped base64 on its own', () => {
    for (const value of [key, key.slice(0, 57), key.slice(0, 58), key.slice(0, 90), hostile])
      for (const form of maskForms(value)) expect(form.length).toBeGreaterThanOrEqual(16);
  });

  it('adds nothing for a value no encoding changes', () => {
    const plain = 'plain-token_value.42';
    expect(maskForms(plain).map(String)).toEqual([
      plain,
      ...new Set([0, 1, 2].map((o) => base64Core(Buffer.from(plain), o))),
    ]);
  });

  it('does not mask values shorter than 4 characters', () => {
    expect(maskForms('abc')).toEqual([]);
    expect(maskForms('abcd').length).toBeGreaterThan(0);
  });
});
