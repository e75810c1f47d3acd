import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { relayMasked } from './masked-relay.js';

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/** How a child ended, as the exit code the CLI passes on: its own, or 128 + the signal's number. */
export const exitCodeOf = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);

export interface RunningChild {
  /** Null when it could not be started at all. */
  child: ChildProcess | null;
  /** Resolves once the child has exited and its output is written out. */
  done: Promise<number>;
}

/**
 * Starts CMD with `env`. With `patternsOf`, its stdout and stderr go through a masker; without
 * (`--no-mask`), stdio is inherited, so a terminal stays a terminal. The patterns are computed
 * after the spawn, while the child starts up (on the other core, if there is one): its output is
 * read only once this returns, so none of it can pass before the masker is in place.
 */
export const startChild = (
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  patternsOf: (() => Buffer[]) | null,
): RunningChild => {
  let child: ChildProcess;
  try {
    child = spawn(cmd, args, { env, stdio: patternsOf ? ['inherit', 'pipe', 'pipe'] : 'inherit' });
  } catch (err) {
    // Some failures throw at once rather than emit 'error': an environment over the system's
    // limit (E2BIG), no memory, a NUL byte. CMD never ran: 126, as a shell says for "cannot execute".
    // Only the code is shown: Node's message for a NUL byte quotes the environment, values included.
    process.stderr.write(`nembl: cannot start ${cmd}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).name}\n`);
    return { child: null, done: Promise.resolve(126) };
  }
  const patterns = patternsOf?.();
  const copies = patterns
    ? [relayMasked(child.stdout!, process.stdout, patterns), relayMasked(child.stderr!, process.stderr, patterns)]
    : [];
  const done = new Promise<number>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(
        `nembl: cannot start ${cmd}: ${err.code === 'ENOENT' ? 'command not found' : (err.code ?? err.name)}\n`,
      );
      resolve(err.code === 'ENOENT' ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      void Promise.all(copies).then(() => resolve(exitCodeOf(code, signal)));
    });
  });
  return { child, done };
};

/** Whether a child was started and has not exited yet. */
export const isRunning = (child: ChildProcess | null): child is ChildProcess =>
  child !== null && child.exitCode === null && child.signalCode === null;

/** Asks a child to stop (SIGTERM), and kills it (SIGKILL) if it has not exited after `graceMs`. */
export const stopChild = async (running: RunningChild, graceMs: number): Promise<void> => {
  const { child } = running;
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await running.done;
  clearTimeout(timer);
};
