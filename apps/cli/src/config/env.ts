import { homedir } from 'node:os';
import { join } from 'node:path';

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

export const readCliEnv = (env: NodeJS.ProcessEnv = process.env): CliEnv => ({
  apiUrl: env.NEMBL_API_URL || undefined,
  // A token read from a file often keeps the file's line ending (`$(cat token.txt)` of a CRLF file).
  token: env.NEMBL_TOKEN?.trim() || undefined,
  configDir: join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'nembl'),
});
