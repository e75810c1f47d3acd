import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from '../cli-error.js';

/** What `nembl login` stores: where the API is, and a service token or a console session. Never a secret value. */
export interface StoredConfig {
  url?: string;
  token?: string;
  session?: { cookie: string; csrf: string };
}

export const configPath = (dir: string) => join(dir, 'config.json');

const mode = (st: Stats) => (st.mode & 0o777).toString(8);

/**
 * Why the config cannot be trusted, if it cannot: someone else could have written it or could
 * swap it, and it says where to send the token. The rule is ssh's for its keys: the file, its
 * directory (and a link to that directory) are ours and not writable by others, and the directory
 * holding that one is not writable by others either (unless sticky, as /tmp: then nobody can move
 * our directory away). `file` is the stat of the descriptor the config is read from, so what was
 * checked is what is read.
 */
const untrustedBecause = (dir: string, file: Stats): string | undefined => {
  const uid = process.getuid?.();
  const ours = (st: Stats) => uid === undefined || st.uid === uid;
  const link = lstatSync(dir);
  if (link.isSymbolicLink() && !ours(link)) return `the directory ${dir} is a link made by another user`;
  const d = statSync(dir);
  if (!d.isDirectory()) return `${dir} is not a directory`;
  if (!ours(d)) return `the directory ${dir} belongs to another user`;
  if ((d.mode & 0o022) !== 0) return `the directory ${dir} may be written by others (mode ${mode(d)})`;
  const parent = statSync(dirname(dir));
  if ((parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0)
    return `the directory ${dirname(dir)} may be written by others (mode ${mode(parent)}), who could swap ${dir}`;
  if (!file.isFile()) return `${configPath(dir)} is not a regular file`;
  if (!ours(file)) return `the file ${configPath(dir)} belongs to another user`;
  if ((file.mode & 0o022) !== 0) return `the file ${configPath(dir)} may be written by others (mode ${mode(file)})`;
  return undefined;
};

/** The config file's text and the stat of the descriptor it was read from; undefined when there is none. */
const readConfigFile = (dir: string): { text: string; file: Stats } | undefined => {
  let fd: number;
  try {
    // Non-blocking, so a FIFO planted as config.json cannot hold the command (it is refused below).
    fd = openSync(configPath(dir), constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(
      EXIT.failure,
      `cannot read ${configPath(dir)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    const file = fstatSync(fd);
    return { file, text: file.isFile() ? readFileSync(fd, 'utf8') : '' };
  } finally {
    closeSync(fd);
  }
};

/**
 * The stored config. One that others could have written is refused (exit 1) — or, with
 * `ifUntrusted: 'ignore'`, read as empty, for `login` and `logout`, which replace it.
 */
export const loadConfig = (
  dir: string,
  { ifUntrusted = 'refuse' }: { ifUntrusted?: 'refuse' | 'ignore' } = {},
): StoredConfig => {
  const read = readConfigFile(dir);
  if (!read) return {};
  let untrusted: string | undefined;
  try {
    untrusted = untrustedBecause(dir, read.file);
  } catch (err) {
    untrusted = `cannot check who may write it (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (untrusted) {
    if (ifUntrusted === 'ignore') return {};
    throw new CliError(
      EXIT.failure,
      `not using ${configPath(dir)}: ${untrusted}; run \`nembl login\` again (it rewrites the file 0600 in a 0700 directory) or set NEMBL_API_URL and NEMBL_TOKEN`,
    );
  }
  try {
    const parsed = JSON.parse(read.text) as unknown;
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
    const link = lstatSync(dir);
    const uid = process.getuid?.();
    if (link.isSymbolicLink() && uid !== undefined && link.uid !== uid)
      throw new CliError(EXIT.failure, `not writing through ${dir}: it is a link made by another user`);
    const parent = statSync(dirname(dir));
    if ((parent.mode & 0o022) !== 0 && (parent.mode & 0o1000) === 0)
      throw new CliError(
        EXIT.failure,
        `not writing into ${dir}: ${dirname(dir)} may be written by others (mode ${mode(parent)}), who could swap it; set XDG_CONFIG_HOME to a directory of your own`,
      );
    chmodSync(dir, 0o700);
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // exactly 0600, whatever the umask
    renameSync(tmp, configPath(dir));
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof CliError) throw err;
    throw new CliError(
      EXIT.failure,
      `cannot write ${configPath(dir)} (${(err as NodeJS.ErrnoException).code ?? 'error'}): the directory must be yours`,
    );
  }
};
