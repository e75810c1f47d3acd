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
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CliError, EXIT } from '../cli-error.js';

/** What `nembl login` stores: where the API is, and a service token or a console session. Never a secret value. */
export interface StoredConfig {
  url?: string;
  token?: string;
  session?: { cookie: string; csrf: string };
}

export const configPath = (dir: string) => join(dir, 'config.json');

const mode = (st: Stats) => (st.mode & 0o777).toString(8);
const ours = (st: Stats) => process.getuid === undefined || st.uid === process.getuid();
const oursOrRoot = (st: Stats) => ours(st) || st.uid === 0;
const writableByOthers = (st: Stats) => (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0;

/**
 * Why someone else could change what `path` names, if they could: walking up to `/`, every entry
 * (a link included) must be ours or root's, and no directory holding one may be writable by
 * others, unless it is sticky (as /tmp), where only an entry's owner may move it.
 */
const swappable = (path: string): string | undefined => {
  for (let p = path; ; p = dirname(p)) {
    const entry = lstatSync(p);
    if (!oursOrRoot(entry)) return `${p} belongs to another user`;
    const parent = dirname(p);
    if (parent === p) return undefined;
    const holder = statSync(parent);
    if (writableByOthers(holder))
      return `${parent} may be written by others (mode ${mode(holder)}), who could swap ${p}`;
  }
};

type Checked = { real: string } | { untrusted: string };

/** `path` resolved, if nobody else can swap it along the path as given (its links) or as resolved. */
const unswappable = (path: string): Checked => {
  const real = realpathSync(path);
  const untrusted = swappable(path) ?? (real === path ? undefined : swappable(real));
  return untrusted ? { untrusted } : { real };
};

/**
 * Why the config directory cannot be trusted, if it cannot (ssh's rule for its keys): it is ours
 * and not writable by others, and nobody else can swap it or anything above it, along the path
 * as given (its links) or the path it resolves to. Answers the resolved path to work on, so what
 * was checked is what is used.
 */
const checkedDirectory = (dir: string, { fixMode = false } = {}): Checked => {
  const checked = unswappable(dir);
  if ('untrusted' in checked) return checked;
  const { real } = checked;
  const d = statSync(real);
  if (!d.isDirectory()) return { untrusted: `${dir} is not a directory` };
  if (!ours(d)) return { untrusted: `the directory ${dir} belongs to another user` };
  // Only now, on the path that was checked: a directory of ours others may write is made 0700.
  if (fixMode) chmodSync(real, 0o700);
  else if ((d.mode & 0o022) !== 0)
    return { untrusted: `the directory ${dir} may be written by others (mode ${mode(d)})` };
  return { real };
};

/** Why the file read cannot be trusted (the stat of the descriptor it was read from), if it cannot. */
const untrustedFile = (path: string, file: Stats): string | undefined => {
  if (!file.isFile()) return `${path} is not a regular file`;
  if (!ours(file)) return `the file ${path} belongs to another user`;
  if ((file.mode & 0o022) !== 0) return `the file ${path} may be written by others (mode ${mode(file)})`;
  return undefined;
};

/** The config file's text and the stat of the descriptor it was read from. */
const readConfigFile = (path: string): { text: string; file: Stats } => {
  // Non-blocking, so a FIFO planted as config.json cannot hold the command (it is refused), and
  // not through a link.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  try {
    const file = fstatSync(fd);
    return { file, text: file.isFile() ? readFileSync(fd, 'utf8') : '' };
  } finally {
    closeSync(fd);
  }
};

/**
 * Makes `dir` and whatever of it is missing, one level at a time, each inside a directory that
 * was checked first (nobody else can swap it): a link planted on the way makes nothing anywhere.
 */
const makeDirectory = (dir: string): { untrusted: string } | undefined => {
  const missing: string[] = [];
  let p = dir;
  for (;;) {
    try {
      lstatSync(p);
      break;
    } catch (err) {
      if (errorCode(err) !== 'ENOENT' || dirname(p) === p) throw err;
      missing.unshift(basename(p));
      p = dirname(p);
    }
  }
  const checked = unswappable(p);
  if ('untrusted' in checked) return checked;
  let { real } = checked;
  for (const name of missing) {
    real = join(real, name);
    mkdirSync(real, { mode: 0o700 });
  }
  return undefined;
};

const errorCode = (err: unknown) => (err as NodeJS.ErrnoException).code ?? 'error';

/** The config's text, read from the checked directory and file; why not, if they cannot be trusted; undefined if there is none. */
const readChecked = (dir: string): { text: string } | { untrusted: string } | undefined => {
  try {
    const checked = checkedDirectory(dir);
    if ('untrusted' in checked) return checked;
    const { text, file } = readConfigFile(configPath(checked.real));
    const untrusted = untrustedFile(configPath(dir), file);
    return untrusted ? { untrusted } : { text };
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    return {
      untrusted:
        errorCode(err) === 'ELOOP'
          ? `${configPath(dir)} is a link`
          : `cannot check who may write it (${errorCode(err)})`,
    };
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
  const read = readChecked(dir);
  if (!read) return {};
  if ('untrusted' in read) {
    if (ifUntrusted === 'ignore') return {};
    throw new CliError(
      EXIT.failure,
      `not using ${configPath(dir)}: ${read.untrusted}; run \`nembl login\` again (it rewrites the file 0600 in a 0700 directory) or set NEMBL_API_URL and NEMBL_TOKEN`,
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
  let real: string;
  try {
    const checked = makeDirectory(dir) ?? checkedDirectory(dir, { fixMode: true });
    if ('untrusted' in checked)
      throw new CliError(
        EXIT.failure,
        `not writing into ${dir}: ${checked.untrusted}; set XDG_CONFIG_HOME to a directory of your own`,
      );
    real = checked.real;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      EXIT.failure,
      `cannot write ${configPath(dir)} (${errorCode(err)}): the directory must be yours`,
    );
  }
  const tmp = `${configPath(real)}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(tmp, 0o600); // exactly 0600, whatever the umask
    renameSync(tmp, configPath(real));
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new CliError(EXIT.failure, `cannot write ${configPath(dir)} (${errorCode(err)})`);
  }
};
