// Shared by `npm start` and `npm test`: plain Node, no dependencies, so it runs before install.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const say = (msg) => process.stdout.write(`\x1b[36m▸\x1b[0m ${msg}\n`);

export const checkNode = () => {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    process.stderr.write(`Nembl Secrets needs Node.js >= 20.19 (this is ${process.versions.node}).\n`);
    process.exit(1);
  }
};

export const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    process.stderr.write(`\n${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}).\n`);
    process.exit(r.status ?? 1);
  }
};

/** Installs dependencies when node_modules is missing or older than the lockfile. */
export const ensureInstalled = () => {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund']);
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts a child with its output prefixed, so api and worker logs stay readable side by side. */
export const startChild = (name, cmd, args, env) => {
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) => {
    let buf = '';
    stream.on('data', (d) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  return child;
};
