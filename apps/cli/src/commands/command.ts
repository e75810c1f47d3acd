import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT, usageError } from '../cli-error.js';
import { loadConfig } from '../config/config-file.js';
import { DEFAULT_API_URL, type CliEnv } from '../config/env.js';
import { apiClient, shownUrl, type ApiClient, type Credentials } from '../http/api-client.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Command {
  /** e.g. `secrets list` */
  name: string;
  usage: string;
  summary: string;
  /** Extra help text: flags and examples. */
  details: string;
  options: Options;
  /** Takes the raw arguments after `--` too (nembl run). */
  passthrough?: boolean;
  run(ctx: CliContext, args: ParsedArgs): Promise<number | void>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after `--`. */
  rest: string[];
}

export interface CliContext {
  env: CliEnv;
  /** One line (or JSON object) to stdout. */
  print(line: string): void;
  printJson(value: unknown): void;
  /** A note on stderr. */
  note(line: string): void;
}

export const parseCommandArgs = (cmd: Command, argv: string[]): ParsedArgs => {
  let own = argv;
  let rest: string[] = [];
  if (cmd.passthrough) {
    const dashes = argv.indexOf('--');
    if (dashes !== -1) {
      own = argv.slice(0, dashes);
      rest = argv.slice(dashes + 1);
    }
  }
  try {
    const { values, positionals } = parseArgs({
      args: own,
      options: { help: { type: 'boolean', short: 'h' }, ...cmd.options },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals, rest };
  } catch (err) {
    throw usageError(`${(err as Error).message.split('\n')[0]}\nusage: ${cmd.usage}`);
  }
};

/** An API URL as compared for "the same API": scheme, host, port and path, without trailing slashes. */
const sameApiKey = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.replace(/\/+$/, '');
  }
};

/**
 * The API to talk to and the credentials to use: NEMBL_API_URL / NEMBL_TOKEN win over the config
 * file. Stored credentials belong to the API they were stored for and are never sent to another
 * one: with NEMBL_API_URL naming another API, only NEMBL_TOKEN is used (`storedFor` says where
 * the stored ones would go).
 */
const connection = (env: CliEnv): { url: string; credentials: Credentials; storedFor?: string } => {
  // With both in the environment the config file is not read at all (not even checked).
  if (env.apiUrl && env.token) return { url: env.apiUrl, credentials: { kind: 'token', token: env.token } };
  const config = loadConfig(env.configDir);
  const storedUrl = config.url ?? DEFAULT_API_URL;
  const url = env.apiUrl ?? storedUrl;
  if (env.token) return { url, credentials: { kind: 'token', token: env.token } };
  const stored: Credentials | undefined = config.token
    ? { kind: 'token', token: config.token }
    : config.session
      ? { kind: 'session', ...config.session }
      : undefined;
  if (!stored) return { url, credentials: { kind: 'none' } };
  if (sameApiKey(url) !== sameApiKey(storedUrl)) return { url, credentials: { kind: 'none' }, storedFor: storedUrl };
  return { url, credentials: stored };
};

/** A client for commands that need credentials: without any, nothing is sent (exit 3). */
export const connect = (ctx: CliContext): ApiClient => {
  const { url, credentials, storedFor } = connection(ctx.env);
  if (credentials.kind === 'none')
    throw new CliError(
      EXIT.auth,
      storedFor
        ? `not logged in to ${shownUrl(url)}: the stored login is for ${shownUrl(storedFor)} and is not sent elsewhere; run \`nembl login --url ${shownUrl(url)}\` or set NEMBL_TOKEN`
        : 'not logged in: run `nembl login` (or `nembl login --token`) or set NEMBL_TOKEN',
    );
  return apiClient(url, credentials);
};

export const stringOpt = (v: ParsedArgs['values'][string]): string | undefined =>
  typeof v === 'string' ? v : undefined;
export const listOpt = (v: ParsedArgs['values'][string]): string[] =>
  Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
