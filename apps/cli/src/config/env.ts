import { homedir, userInfo } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** Everything the CLI reads from its environment, read once, here. */
export interface CliEnv {
  /** NEMBL_API_URL: wins over the config file. */
  apiUrl: string | undefined;
  /** NEMBL_TOKEN: a service token; wins over the config file. */
  token: string | undefined;
  /** `$XDG_CONFIG_HOME/nembl` (default `~/.config/nembl`). */
  configDir: string;
}

export const DEFAULT_API_URL = 'http://localhost:8080';

/**
 * The user's home: \`HOME\`, or the account's when HOME is empty or relative (os.homedir() would
 * answer "" and the config would be read from the working directory, where a cloned repository
 * may have planted one).
 */
const home = (): string => {
  const h = homedir();
  if (isAbsolute(h)) return h;
  return userInfo().homedir;
};

export const readCliEnv = (env: NodeJS.ProcessEnv = process.env): CliEnv => ({
  apiUrl: env.NEMBL_API_URL || undefined,
  // A token read from a file often keeps the file's line ending (`$(cat token.txt)` of a CRLF file).
  token: env.NEMBL_TOKEN?.trim() || undefined,
  // A relative XDG_CONFIG_HOME is ignored, as the XDG base directory spec says.
  configDir: join(
    env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home(), '.config'),
    'nembl',
  ),
});
