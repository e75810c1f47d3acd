import { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { streamMasker } from './masker.js';

/** One read takes up to this much: more than a pipe or socket buffer holds, so one read empties it. */
const READ_BUFFER_BYTES = 1 << 20;

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
 * Copies a child's output stream `from` to `to` through a masker, with backpressure; resolves
 * when `from` has ended and everything held back is handed to `to`. What can be written is
 * written at once (no line buffering); only a possible partial match waits for the next read.
 *
 * A pipe child_process opened is read into two reused buffers in turn. A stream reads at most
 * 64 KiB into a fresh buffer per read, and that allocation (page faults, GC) plus the stream's
 * bookkeeping cost more than the masking itself; a socket made with Node's `onread` option over
 * the pipe handle (child_process makes its own sockets from the handle the same way) reads all
 * the pipe holds into a buffer of ours instead. Two, because a write to a pipe whose reader is
 * busy stays pending: while it does, the next read goes into the other buffer and is masked, so
 * masking overlaps the reader's work instead of waiting for it. A buffer is read into again only
 * once every write of its bytes has completed; with both waiting on writes, reading stops (the
 * child blocks), so a slow reader holds at most the two buffers here.
 */
export const relayMasked = (from: Readable, to: Writable, patterns: Buffer[]): Promise<void> =>
  new Promise((resolve) => {
    const masker = streamMasker(patterns);
    /** Writes handed to `to`, and how many of them have completed (a stream completes them in order). */
    let issued = 0;
    let completed = 0;
    let ended = false;
    let broken = false;
    /** Reading stopped until `readable()`: every buffer waits on a write. */
    let stalled = false;
    let readable: () => boolean = () => completed === issued;
    let resume: () => void = () => {};
    let destroySource: () => void = () => {};

    // Our reader went away (`nembl run … | head`): stop reading, so the child gets EPIPE/SIGPIPE
    // like a plain pipe. process.stdout is never destroyed by an error, so later writes would
    // fail again: none is made, and the listener stays until every write has succeeded (an
    // error is emitted after the failed write's callback).
    const onBrokenPipe = () => {
      broken = true;
      destroySource();
    };
    to.on('error', onBrokenPipe);

    const afterWrite = (seq: number) => (err?: Error | null) => {
      if (err) return;
      if (seq > completed) completed = seq;
      if (stalled && readable()) {
        stalled = false;
        resume();
      }
      if (ended && completed === issued) to.off('error', onBrokenPipe);
    };
    /** Writes pieces (one writev); returns the write's number while some of it is pending, else 0. */
    const write = (parts: Buffer[]): number => {
      if (parts.length === 0 || broken || to.destroyed) return 0;
      const seq = ++issued;
      to.cork();
      const last = parts.length - 1;
      for (let i = 0; i < last; i++) to.write(parts[i]);
      to.write(parts[last], afterWrite(seq));
      to.uncork();
      if (to.writableLength > 0) return seq;
      completed = issued;
      return 0;
    };
    const onEnd = () => {
      ended = true;
      write(masker.flush());
      if (completed === issued && !broken) to.off('error', onBrokenPipe);
      resolve();
    };

    const handle = pipeHandleOf(from);
    if (!handle) {
      // Not a pipe child_process opened (a child that failed to start, or any other stream): read
      // it as a stream, whose chunks are fresh memory; pause while a write is pending.
      from.on('data', (chunk: Buffer) => {
        if (write(masker.push(chunk)) === 0) return;
        stalled = true;
        from.pause();
      });
      from.once('close', onEnd);
      from.once('error', () => {});
      resume = () => from.resume();
      destroySource = () => from.destroy();
      return;
    }
    // The socket child_process made gives up the handle: on exit child_process resumes that
    // socket, which would restart reading behind our back, into a buffer a write still reads.
    (from as { _handle?: unknown })._handle = null;
    const buffers = [Buffer.allocUnsafe(READ_BUFFER_BYTES), Buffer.allocUnsafe(READ_BUFFER_BYTES)];
    /** The buffer the next read fills, and per buffer the write that must complete before it is filled again. */
    let current = 0;
    const pendingUntil = [0, 0];
    const free = (i: number) => pendingUntil[i]! <= completed;
    readable = () => free(current);
    const socket = new Socket({
      handle,
      writable: false,
      onread: {
        // Asked for before each read (after `callback`).
        buffer: () => buffers[current]!,
        callback: (n: number) => {
          const i = current;
          pendingUntil[i] = write(masker.push(buffers[i]!.subarray(0, n)));
          if (free(i)) return true;
          current = 1 - i;
          if (free(current)) return true;
          stalled = true;
          return false;
        },
      },
    } as ConstructorParameters<typeof Socket>[0]);
    socket.once('close', onEnd);
    // A failed read ends the copy (the socket closes); the exit code still comes from the child.
    socket.once('error', () => {});
    resume = () => socket.resume();
    destroySource = () => socket.destroy();
  });
