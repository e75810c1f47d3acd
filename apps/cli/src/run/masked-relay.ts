import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { streamMasker } from './masker.js';

/** One read takes up to this much: more than a pipe or socket buffer holds, so one read empties it. */
const READ_BUFFER_BYTES = 1 << 20;

/** A pipe's reading end: `onChunk` returns false to stop reading until `resume()`. */
interface ChunkSource {
  resume(): void;
  destroy(): void;
}

interface PipeHandle {
  useUserBuffer(buffer: Uint8Array): void;
}

const pipeHandleOf = (from: Readable): PipeHandle | undefined => {
  const handle = (from as { _handle?: Partial<PipeHandle> | null })._handle;
  return from instanceof Socket && handle && typeof handle.useUserBuffer === 'function'
    ? (handle as PipeHandle)
    : undefined;
};

/**
 * Reads a child's pipe into one reused buffer. A stream reads at most 64 KiB into a fresh buffer
 * per read, and that allocation (page faults, GC) plus the stream's bookkeeping cost more than
 * the masking itself. A socket made with Node's `onread` option over the pipe handle
 * child_process opened (child_process makes its own sockets from the handle the same way) reads
 * all the pipe holds into one buffer instead. The buffer is refilled only after `onChunk`
 * returned true, or after `resume()`: so a chunk is never overwritten while a write of it is
 * pending.
 */
const bufferedSource = (from: Readable, onChunk: (chunk: Buffer) => boolean, onEnd: () => void): ChunkSource => {
  const handle = pipeHandleOf(from);
  if (!handle) {
    // Not a pipe child_process opened (a child that failed to start, or any other stream): read it as a stream.
    from.on('data', (chunk: Buffer) => {
      if (!onChunk(chunk)) from.pause();
    });
    from.once('close', onEnd);
    from.once('error', () => {});
    return { resume: () => from.resume(), destroy: () => from.destroy() };
  }
  // The socket child_process made gives up the handle: on exit child_process resumes that socket,
  // which would restart reading behind our back, into the buffer, while a write of it is pending.
  (from as { _handle?: unknown })._handle = null;
  const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const socket = new Socket({
    handle,
    writable: false,
    onread: { buffer, callback: (n: number) => onChunk(buffer.subarray(0, n)) },
  } as ConstructorParameters<typeof Socket>[0]);
  socket.once('close', onEnd);
  // A failed read ends the copy (the socket closes); the exit code still comes from the child.
  socket.once('error', () => {});
  return { resume: () => socket.resume(), destroy: () => socket.destroy() };
};

/**
 * Copies a child's output stream `from` to `to` through a masker, with backpressure; resolves
 * when `from` has ended and everything held back is handed to `to`. What can be written is
 * written at once (no line buffering); only a possible partial match waits for the next read.
 */
export const relayMasked = (from: Readable, to: Writable, patterns: Buffer[]): Promise<void> =>
  new Promise((resolve) => {
    const masker = streamMasker(patterns);
    let stalled = false;
    let ended = false;
    let broken = false;
    const afterWrite = (err?: Error | null) => {
      if (err || to.writableLength > 0) return;
      if (stalled) {
        stalled = false;
        source.resume();
      }
      if (ended) to.off('error', onBrokenPipe);
    };
    /** Writes pieces (one writev); false while `to` still holds some of them. */
    const write = (parts: Buffer[]): boolean => {
      if (parts.length === 0 || broken || to.destroyed) return true;
      to.cork();
      const last = parts.length - 1;
      for (let i = 0; i < last; i++) to.write(parts[i]);
      to.write(parts[last], afterWrite);
      to.uncork();
      if (to.writableLength === 0) return true;
      stalled = true;
      return false;
    };
    // Our reader went away (`nembl run … | head`): stop reading, so the child's next write fails
    // as on a closed pipe. process.stdout is not destroyed by an error, so a later write (the
    // held-back rest at the end) failed again with no listener left: an unhandled 'error'. None
    // is made, and the listener stays until every write has succeeded (an error is emitted after
    // the failed write's callback).
    const onBrokenPipe = () => {
      broken = true;
      source.destroy();
    };
    to.on('error', onBrokenPipe);
    const source = bufferedSource(
      from,
      (chunk) => write(masker.push(chunk)),
      () => {
        ended = true;
        if (write(masker.flush()) && !broken) to.off('error', onBrokenPipe);
        resolve();
      },
    );
  });
