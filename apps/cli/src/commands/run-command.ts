import { isatty } from 'node:tty';
import { CliError, EXIT, usageError } from '../cli-error.js';
import type { ApiClient } from '../http/api-client.js';
import { FORWARDED_SIGNALS, isRunning, startChild, stopChild, type RunningChild } from '../run/child-process.js';
import {
  currentVersions,
  parseEnvFlags,
  resolveEnv,
  type EnvSourceSpec,
  type ResolvedEnv,
} from '../run/env-resolution.js';
import { maskForms, MIN_MASK_LENGTH } from '../run/mask-forms.js';
import { connect, listOpt, stringOpt, type CliContext, type Command, type ParsedArgs } from './command.js';

const DEFAULT_WATCH_INTERVAL_S = 10;
/** A day: longer would overflow the timer (which then fires every millisecond). */
const MAX_WATCH_INTERVAL_S = 86_400;
/** Polling faster than this would load the API for nothing. */
const MIN_WATCH_INTERVAL_S = 1;
/**
 * Signals that ask CMD to stop: after one, --watch restarts nothing (CMD may take its time to
 * shut down; a restart would cut that short and start CMD again). SIGHUP is not one: a CMD that
 * reloads on it is restarted on the next new version as usual.
 */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT'];
/** A restarted child gets this long between SIGTERM and SIGKILL. */
const RESTART_GRACE_MS = 10_000;

const sourceOf = (values: ParsedArgs['values']): EnvSourceSpec => {
  const workflow = stringOpt(values.workflow);
  const runId = stringOpt(values.run);
  const phase = stringOpt(values.phase);
  if (workflow && runId) throw usageError('use --workflow or --run, not both');
  if ((workflow || runId) && !phase) throw usageError(`--${workflow ? 'workflow' : 'run'} needs --phase P`);
  if (phase && !workflow && !runId) throw usageError('--phase needs --workflow W or --run RUN_ID');
  if (workflow) return { kind: 'workflow', workflow, phase: phase! };
  if (runId) return { kind: 'run', runId, phase: phase! };
  return { kind: 'none' };
};

/**
 * Every form of every secret value (literals are not secrets) and of the CLI's own token, plus how
 * many values were too short to mask.
 */
const patternsFor = (resolved: ResolvedEnv[], token: string): { patterns: Buffer[]; short: number } => {
  const values = new Set(resolved.flatMap((r) => Object.keys(r.versions).map((k) => r.env[k]!)));
  let short = 0;
  const patterns: Buffer[] = maskForms(token);
  for (const v of values) {
    if (v.length < MIN_MASK_LENGTH) short++;
    else patterns.push(...maskForms(v));
  }
  return { patterns, short };
};

const changedSecret = async (api: ApiClient, known: Map<string, number>): Promise<string | undefined> => {
  const now = await currentVersions(api, [...known.keys()]);
  return [...known].find(([name, version]) => now.get(name) !== version)?.[0];
};

export const runCommand: Command = {
  name: 'run',
  usage:
    'nembl run [--workflow W --phase P | --run RUN_ID --phase P] [--env NAME=secret:ref|NAME=literal]… [--no-mask] [--watch [--watch-interval S]] -- CMD [ARGS…]',
  summary: 'run CMD with secrets injected into its environment and masked in its output',
  details: `Resolves the environment — a workflow phase through a new run (--workflow W --phase P), an
existing run (--run RUN_ID --phase P), and/or ad-hoc references (--env NAME=secret:<name>, or
NAME=literal) — and starts CMD with it merged over the current environment, less NEMBL_TOKEN (so
an env dump or a grandchild does not carry nembl's token; the token is masked too). This guards
against accidents, not against a CMD that means harm: running as your user, CMD can read the
token from /proc or the config file. Needs a service token
(NEMBL_TOKEN or \`nembl login --token\`).

Every resolved secret value is replaced by *** in CMD's stdout and stderr, also when split across
writes, base64 (any alignment, and base64url), percent- or JSON-encoded, and line by line for
multi-line values. Values shorter than ${MIN_MASK_LENGTH} characters are not masked. --no-mask passes output
through untouched (CMD keeps the terminal).

--watch restarts CMD (SIGTERM, ${RESTART_GRACE_MS / 1000} s grace, then SIGKILL) when a referenced secret gets a new
version, checking versions (never values) every --watch-interval seconds (default ${DEFAULT_WATCH_INTERVAL_S}, at most
${MAX_WATCH_INTERVAL_S}, at least ${MIN_WATCH_INTERVAL_S}). After SIGINT, SIGTERM or SIGQUIT, nembl restarts nothing (CMD may take its time to stop).

SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to CMD (when stdin is a
terminal, CMD gets Ctrl-C and Ctrl-\\ from the terminal itself, so nembl does not send them a second
time); nembl exits with CMD's exit code, or 128 + the signal number. Before CMD starts: 2 usage,
3 not authenticated, 4 denied or not found, 5 API unreachable.

  NEMBL_TOKEN=… nembl run --workflow deploy --phase "Deploy to Staging" -- ./deploy.sh
  nembl run --env DB_PASSWORD=secret:db-password --env REGION=eu-west-1 -- node server.js`,
  options: {
    workflow: { type: 'string' },
    phase: { type: 'string' },
    run: { type: 'string' },
    env: { type: 'string', multiple: true },
    'no-mask': { type: 'boolean' },
    watch: { type: 'boolean' },
    'watch-interval': { type: 'string' },
  },
  passthrough: true,
  run: async (ctx: CliContext, args: ParsedArgs) => {
    const [cmd, ...cmdArgs] = args.rest;
    if (args.positionals.length > 0)
      throw usageError(`put the command after --: nembl run [flags] -- ${args.positionals.join(' ')}`);
    if (!cmd) throw usageError(`no command to run\nusage: ${runCommand.usage}`);
    const source = sourceOf(args.values);
    const adHoc = parseEnvFlags(listOpt(args.values.env));
    if (source.kind === 'none' && Object.keys(adHoc).length === 0)
      throw usageError(
        'nothing to inject: give --workflow W --phase P, --run RUN_ID --phase P, or --env NAME=secret:<name>',
      );
    const watch = Boolean(args.values.watch);
    const intervalRaw = stringOpt(args.values['watch-interval']);
    const intervalS = intervalRaw === undefined ? DEFAULT_WATCH_INTERVAL_S : Number(intervalRaw);
    if (
      (intervalRaw !== undefined && !/^\d+(\.\d+)?$/.test(intervalRaw)) ||
      intervalS < MIN_WATCH_INTERVAL_S ||
      intervalS > MAX_WATCH_INTERVAL_S
    )
      throw usageError(
        `--watch-interval takes a number of seconds from ${MIN_WATCH_INTERVAL_S} to ${MAX_WATCH_INTERVAL_S}`,
      );
    if (intervalRaw !== undefined && !watch) throw usageError('--watch-interval needs --watch');
    if (watch && source.kind === 'run')
      throw usageError('--watch cannot follow --run: a run keeps the versions it pinned; use --workflow W --phase P');
    const mask = !args.values['no-mask'];

    const api = connect(ctx);
    if (api.credentials.kind !== 'token') {
      throw new CliError(
        EXIT.auth,
        'nembl run needs a service token (values are for machines only): set NEMBL_TOKEN or run `nembl login --token`',
      );
    }

    const { token } = api.credentials;
    let resolved = await resolveEnv(api, source, adHoc);
    // The CLI's own token is not CMD's: it could read every secret the token may. CMD gets it
    // only if it asks for it (--env NEMBL_TOKEN=…).
    const { NEMBL_TOKEN: _own, ...inherited } = process.env;
    // Old values stay masked after a rotation: an old child's output may still be in flight.
    const seen: ResolvedEnv[] = [resolved];
    let warnedShort = false;
    const launch = (): RunningChild => {
      const patternsOf = mask
        ? () => {
            const p = patternsFor(seen, token);
            if (p.short > 0 && !warnedShort) {
              warnedShort = true;
              ctx.note(
                `nembl: ${p.short} secret value${p.short > 1 ? 's are' : ' is'} shorter than ${MIN_MASK_LENGTH} characters and not masked`,
              );
            }
            return p.patterns;
          }
        : null;
      return startChild(cmd, cmdArgs, { ...inherited, ...resolved.env }, patternsOf);
    };

    let current = launch();
    let restarting = false;
    /** Set by a stop signal, and once nembl has its exit code: no new child then. */
    let stopping = false;
    // Ctrl-C and Ctrl-\ in a terminal signal its whole foreground process group, CMD included:
    // passing them on too would deliver them twice, and to many programs a second Ctrl-C means
    // "stop now, skip the clean shutdown".
    const keyboardSignals: readonly NodeJS.Signals[] = isatty(0) ? ['SIGINT', 'SIGQUIT'] : [];
    const forward = (sig: NodeJS.Signals) => () => {
      if (STOP_SIGNALS.includes(sig)) stopping = true;
      if (keyboardSignals.includes(sig)) return;
      if (isRunning(current.child)) current.child.kill(sig);
    };
    const handlers = FORWARDED_SIGNALS.map((sig) => [sig, forward(sig)] as const);
    for (const [sig, h] of handlers) process.on(sig, h);

    let timer: NodeJS.Timeout | undefined;
    let known = new Map(Object.values(resolved.versions).map((v) => [v.secret, v.version]));
    if (watch && known.size > 0) {
      let polling = false;
      let reported = false;
      timer = setInterval(() => {
        if (polling || restarting || stopping) return;
        polling = true;
        void (async () => {
          try {
            const changed = await changedSecret(api, known);
            reported = false;
            if (!changed) return;
            const next = await resolveEnv(api, source, adHoc);
            if (stopping) return;
            ctx.note(`nembl: secret ${changed} has a new version; restarting ${cmd}`);
            restarting = true;
            resolved = next;
            seen.push(next);
            known = new Map(Object.values(next.versions).map((v) => [v.secret, v.version]));
            try {
              await stopChild(current, RESTART_GRACE_MS);
              // Asked to stop meanwhile (`docker stop` during the grace): the old child's exit is nembl's.
              if (!stopping) current = launch();
            } finally {
              restarting = false;
            }
          } catch (err) {
            // The child keeps running on its values; say so once until polling works again.
            if (!reported) ctx.note(`nembl: --watch could not check for new versions: ${(err as Error).message}`);
            reported = true;
          } finally {
            polling = false;
          }
        })();
      }, intervalS * 1000);
    }

    // The exit that counts is the one of a child nembl did not replace.
    for (;;) {
      const running = current;
      const code = await running.done;
      while (restarting) await new Promise((r) => setTimeout(r, 50));
      if (running === current) {
        // A poll still on its way must not start a child after this one's exit was reported.
        stopping = true;
        if (timer) clearInterval(timer);
        for (const [sig, h] of handlers) process.off(sig, h);
        return code;
      }
    }
  },
};
