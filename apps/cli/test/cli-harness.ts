import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect } from 'vitest';

export const BUNDLE = fileURLToPath(new URL('../dist/nembl.cjs', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: string;
  configHome?: string;
  /** The working directory (default: the test runner's). */
  cwd?: string;
}

/** A config home of its own per test (XDG_CONFIG_HOME), removed by `cleanup`. */
export const tempConfigHome = () => {
  const dir = mkdtempSync(join(tmpdir(), 'nembl-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
};

/**
 * CLIs still running when a file's tests end (a test that failed before it stopped its CLI), killed
 * with everything they started: each runs in a process group of its own.
 */
const live = new Set<ChildProcess>();
afterAll(() => {
  for (const c of live) {
    try {
      process.kill(-c.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
});

/** Starts the built CLI as a user would, with a clean environment (no NEMBL_* from the test runner). */
export const startCli = (args: string[], opts: CliOptions = {}) => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
  if (opts.configHome) env.XDG_CONFIG_HOME = opts.configHome;
  for (const [k, v] of Object.entries(opts.env ?? {})) if (v !== undefined) env[k] = v;
  const child: ChildProcess = spawn(process.execPath, [BUNDLE, ...args], {
    env,
    cwd: opts.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  child.stdin!.end(opts.input ?? '');
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    output: () => ({ stdout, stderr }),
    /** Waits until stdout holds `text` (15 s at most). */
    printed: (text: string) => expect.poll(() => stdout, { timeout: 15_000 }).toContain(text),
  };
};

export const runCli = (args: string[], opts: CliOptions = {}): Promise<CliResult> => startCli(args, opts).done;

/** A node one-liner as the child command (`node -e SCRIPT`), so children are real processes on every platform. */
export const nodeChild = (script: string) => [process.execPath, '-e', script];
