import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli-error.js';

/** What `nembl login` stores: where the API is, and a service token or a console session. Never a secret value. */
export interface StoredConfig {
  url?: string;
  token?: string;
  session?: { cookie: string; csrf: string };
}

export const configPath = (dir: string) => join(dir, 'config.json');

/**
 * Why the config file cannot be trusted, if it cannot: someone else could have written it (it is
 * not ours, or others may write it or the directory it is in), and it says where to send the
 * token. The same rule as ssh's for its keys.
 */
const untrustedBecause = (dir: string): string | undefined => {
  const uid = process.getuid?.();
  for (const [path, what] of [
    [dir, 'directory'],
    [configPath(dir), 'file'],
  ] as const) {
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined;
    }
    if (uid !== undefined && st.uid !== uid) return `the ${what} ${path} belongs to another user`;
    if ((st.mode & 0o022) !== 0)
      return `the ${what} ${path} may be written by others (mode ${(st.mode & 0o777).toString(8)})`;
  }
  return undefined;
};

/**
 * The stored config. One that others could have written is refused (exit 1) — or, with
 * `ifUntrusted: 'ignore'`, read as empty, for `login` and `logout`, which replace it.
 */
export const loadConfig = (
  dir: string,
  { ifUntrusted = 'refuse' }: { ifUntrusted?: 'refuse' | 'ignore' } = {},
): StoredConfig => {
  let text: string;
  try {
    text = readFileSync(configPath(dir), 'utf8');
  } catch {
    return {};
  }
  const untrusted = untrustedBecause(dir);
  if (untrusted) {
    if (ifUntrusted === 'ignore') return {};
    throw new CliError(
      EXIT.failure,
      `not using ${configPath(dir)}: ${untrusted}; run \`nembl login\` again (it rewrites the file 0600 in a 0700 directory) or set NEMBL_TOKEN`,
    );
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as StoredConfig) : {};
  } catch {
    throw new CliError(EXIT.failure, `${configPath(dir)} is not valid JSON; fix or delete it and log in again`);
  }
};

/**
 * Written 0600 in a 0700 directory, replaced atomically so a crash never leaves half a file. The
 * file is first written under a random name that must not exist yet (O_EXCL): a link planted at a
 * guessable name cannot make it write elsewhere.
 */
export const saveConfig = (dir: string, config: StoredConfig): void => {
  const tmp = `${configPath(dir)}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // exactly 0600, whatever the umask
    renameSync(tmp, configPath(dir));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(
      EXIT.failure,
      `cannot write ${configPath(dir)} (${(err as NodeJS.ErrnoException).code ?? 'error'}): the directory must be yours`,
    );
  }
};
