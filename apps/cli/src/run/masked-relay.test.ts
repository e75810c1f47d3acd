import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { relayMasked } from './masked-relay.js';
import { maskAll } from './masker.js';

const scratch = mkdtempSync(join(tmpdir(), 'nembl-relay-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A reader that takes its time: each write completes a little later, so the relay waits on it. */
const slowSink = (delayEvery = 20) => {
  const chunks: Buffer[] = [];
  let n = 0;
  /** The most the sink's queue held: what the relay read and could not hand on yet. */
  let maxQueued = 0;
  const sink = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      maxQueued = Math.max(maxQueued, sink.writableLength);
      // Copied when the write completes, as a file descriptor's write reads the memory until then:
      // the relay must not have reused it for the next read before.
      const done = () => {
        chunks.push(Buffer.from(chunk));
        cb();
      };
      if (++n % delayEvery === 0) setTimeout(done, 1);
      else setImmediate(done);
    },
  });
  /** Everything the relay handed over, once the sink has taken it all. */
  const finished = () => new Promise<Buffer>((resolve) => sink.end(() => resolve(Buffer.concat(chunks))));
  return { sink, output: () => Buffer.concat(chunks), finished, maxQueued: () => maxQueued };
};

/** Several MiB of log lines with the values planted at varied offsets, so reads cut through them. */
const plantedLog = (values: string[], bytes: number): Buffer => {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    let line = `2026-12-01T07:00:00.${String(i % 1000).padStart(3, '0')}Z INFO handled id=${(i * 2654435761) >>> 0}`;
    if (i % 7 === 0) line += ` token=${values[i % values.length]}`;
    if (i % 11 === 0)
      line += ` ${'x'.repeat(i % 97)}${values[(i + 1) % values.length]}${values[(i + 2) % values.length]}`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`);
};

const VALUES = ['s3cr3t-value-AAAA-0001', 'another/secret+value=2', 'c2VjcmV0LXRocmVl'];
const PATTERNS = VALUES.map((v) => Buffer.from(v));

/** A child that prints `file` in writes of varied sizes, pausing now and then. */
const chattyChild = (file: string) =>
  spawn(
    process.execPath,
    [
      '-e',
      `const data = require('node:fs').readFileSync(process.argv[1]);
       let at = 0, k = 0;
       const next = () => {
         while (at < data.length) {
           const size = [1, 7, 4096, 65536, 300000, 13][k++ % 6];
           const ok = process.stdout.write(data.subarray(at, at + size));
           at += size;
           if (!ok) return process.stdout.once('drain', next);
           if (k % 50 === 0) return setTimeout(next, 2);
         }
       };
       next();`,
      file,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );

describe('relayMasked', () => {
  it('relays a child’s output masked exactly, whatever the cuts and however slow the reader', async () => {
    const input = plantedLog(VALUES, 4 * 1024 * 1024);
    const file = join(scratch, 'planted.log');
    writeFileSync(file, input);
    const child = chattyChild(file);
    const { sink, finished, maxQueued } = slowSink();
    const stderr = relayMasked(child.stderr, new PassThrough().resume(), PATTERNS);
    await relayMasked(child.stdout, sink, PATTERNS);
    await stderr;
    const out = await finished();
    expect(out.equals(maskAll(PATTERNS, input))).toBe(true);
    for (const v of VALUES) expect(out.includes(v)).toBe(false);
    // Backpressure: reading stopped while the read buffer (1 MiB) waited on the sink.
    expect(maxQueued()).toBeLessThanOrEqual(1024 * 1024);
  });

  it('relays any readable stream the same way', async () => {
    const input = plantedLog(VALUES, 512 * 1024);
    const from = new PassThrough();
    const { sink, finished } = slowSink(5);
    const done = relayMasked(from, sink, PATTERNS);
    for (let at = 0, k = 0; at < input.length; k++) {
      const size = [5, 999, 65536, 3][k % 4]!;
      from.write(input.subarray(at, at + size));
      at += size;
    }
    from.end();
    await done;
    expect((await finished()).equals(maskAll(PATTERNS, input))).toBe(true);
  });

  // process.stdout is not destroyed when a write to a closed pipe fails: the relay must stop
  // reading (the child's next write fails and ends it) and write nothing more, not even the
  // held-back rest at the end, whose failure would be an unhandled 'error'.
  it('stops when its reader goes away, and leaves no error unhandled', async () => {
    let taken = 0;
    const brokenAfter = 256 * 1024;
    const stdoutLike = new Writable({
      autoDestroy: false,
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        taken += chunk.length;
        if (taken <= brokenAfter) setImmediate(cb);
        else cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    // Every write ends in the start of a value, so every read holds a possible partial match
    // back; the child stops (exit 3) at its first failed write.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const b = Buffer.from('x'.repeat(4000) + ${JSON.stringify(VALUES[0]!.slice(0, 5))});
         const w = (err) => (err ? process.exit(3) : process.stdout.write(b, w));
         w();`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await relayMasked(child.stdout, stdoutLike, PATTERNS);
    expect(stdoutLike.destroyed).toBe(false);
    expect(taken).toBeGreaterThan(brokenAfter);
    // Its pipe closed: the child's next write failed (ECONNRESET, as child_process pipes are sockets).
    expect(await exited).toBe(3);
  });

  it('writes a line as soon as the child prints it, before the child ends', async () => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `process.stdout.write('ready token=${VALUES[0]}\\n'); process.stdin.once('end', () => process.exit(0)); process.stdin.resume();`,
      ],
      { stdio: ['pipe', 'pipe', 'ignore'] },
    );
    const { sink, output, finished } = slowSink();
    const done = relayMasked(child.stdout, sink, PATTERNS);
    await expect.poll(() => output().toString(), { timeout: 10_000 }).toBe('ready token=***\n');
    child.stdin.end();
    await done;
    expect((await finished()).toString()).toBe('ready token=***\n');
  });
});
