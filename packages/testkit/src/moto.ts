import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface MotoServer {
  /** e.g. `http://127.0.0.1:41234`, for the SDK's `endpoint`. */
  endpoint: string;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** How long to wait for the server to answer (default 20 s). */
  timeoutMs?: number;
  python?: string;
}

/** Credentials and region the tests pass explicitly to SDK clients talking to moto. */
export const MOTO_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;
export const MOTO_REGION = 'us-east-1';

const NOT_INSTALLED = "moto_server is not installed: pip install 'moto[server]'";

/** A port that was free a moment ago (bind port 0, read it, release it). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });

const answers = async (endpoint: string): Promise<boolean> => {
  try {
    await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
    return true;
  } catch {
    return false;
  }
};

const startOnce = async (python: string, timeoutMs: number): Promise<MotoServer | 'port-taken'> => {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // Own process group, so stop() also ends anything moto forks.
  const child = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  // Keep draining stderr (moto logs every request there) but remember only the tail for errors.
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  let spawnError: NodeJS.ErrnoException | undefined;
  child.once('error', (err) => {
    spawnError = err;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || hasExited) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  // A test run that dies without afterAll must not leave moto_server behind.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (hasExited || child.pid === undefined) return;
    killGroup('SIGTERM');
    const gone = await Promise.race([exited.then(() => true), delay(5000).then(() => false)]);
    if (!gone) {
      killGroup('SIGKILL');
      await exited;
    }
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) {
      process.removeListener('exit', onExit);
      throw new Error(
        spawnError.code === 'ENOENT'
          ? `${NOT_INSTALLED} (${python} was not found)`
          : `could not start moto_server: ${spawnError.message}`,
      );
    }
    if (hasExited) {
      process.removeListener('exit', onExit);
      if (/No module named/i.test(stderr)) throw new Error(`${NOT_INSTALLED}\n${stderr.trim()}`);
      if (/address already in use/i.test(stderr)) return 'port-taken';
      throw new Error(`moto_server exited before answering on ${endpoint}:\n${stderr.trim()}`);
    }
    if (await answers(endpoint)) return { endpoint, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${stderr.trim()}`);
    }
    await delay(100);
  }
};

/**
 * Starts `python3 -m moto.server` on a free loopback port and waits until it answers.
 * Each call gets its own server (and so its own empty state).
 */
export const startMoto = async ({
  timeoutMs = 20_000,
  python = 'python3',
}: StartMotoOptions = {}): Promise<MotoServer> => {
  // The port can be taken between probing and moto binding it; try a few fresh ports.
  for (let tries = 0; tries < 3; tries++) {
    const started = await startOnce(python, timeoutMs);
    if (started !== 'port-taken') return started;
  }
  throw new Error('moto_server could not bind a free port after 3 tries');
};
