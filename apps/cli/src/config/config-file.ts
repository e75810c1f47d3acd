import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, EXIT } from '../cli-error.js';

/** What `nembl login` stores: where the API is, and a service token or a console session. Never a secret value. */
export interface StoredConfig {
  url?: string;
  token?: string;
  session?: { cookie: string; csrf: string };
}

export const configPath = (dir: string) => join(dir, 'config.json');

export const loadConfig = (dir: string): StoredConfig => {
  let text: string;
  try {
    text = readFileSync(configPath(dir), 'utf8');
  } catch {
    return {};
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as StoredConfig) : {};
  } catch {
    throw new CliError(EXIT.failure, `${configPath(dir)} is not valid JSON; fix or delete it and log in again`);
  }
};

/** Written 0600 in a 0700 directory, replaced atomically so a crash never leaves half a file. */
export const saveConfig = (dir: string, config: StoredConfig): void => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = `${configPath(dir)}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, configPath(dir));
};
