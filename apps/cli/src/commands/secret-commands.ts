import { setTimeout as sleep } from 'node:timers/promises';
import { CliError, EXIT, usageError } from '../cli-error.js';
import type { ApiClient } from '../http/api-client.js';
import {
  bindingsShape,
  maybeOperationShape,
  operationShape,
  secretDetailShape,
  secretPageShape,
  secretShape,
  writeShape,
} from '../http/shapes.js';
import { promptLine, readStdin, readValueFile, stdinIsTty, withoutFinalNewline } from '../terminal/prompt.js';
import { table } from '../terminal/table.js';
import { connect, listOpt, stringOpt, type CliContext, type Command, type ParsedArgs } from './command.js';

interface BoundResource {
  kind: string;
  id: string;
  name: string;
  detail?: string;
}

interface Secret {
  name: string;
  type: string;
  description: string;
  tags: Record<string, string>;
  status: string;
  version: number;
  createdAt: string;
  createdBy?: { name?: string } | null;
  lastRotatedAt: string | null;
  owners?: Array<{ email: string }>;
  reminder: { intervalDays: number; nextDueAt: string; lastSentAt: string | null; lastError: string | null } | null;
  boundResources?: BoundResource[];
}

interface Operation {
  id: string;
  kind: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  error?: { code: string; message: string };
}

const OPERATION_TIMEOUT_MS = 120_000;
const path = (name: string) => `/secrets/${encodeURIComponent(name)}`;
const day = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '-');

const oneName = (args: ParsedArgs, usage: string): string => {
  const [name, ...extra] = args.positionals;
  if (!name || extra.length > 0) throw usageError(`usage: ${usage}`);
  return name;
};

/** Waits for a write's operation (a 202 answer) to finish; a failed one is an error. */
const waitForOperation = async (api: ApiClient, op: Operation | undefined, what: string): Promise<void> => {
  let current = op;
  const deadline = Date.now() + OPERATION_TIMEOUT_MS;
  while (current && current.status !== 'succeeded') {
    if (current.status === 'failed')
      throw new CliError(
        EXIT.failure,
        `${what} failed: ${current.error?.message ?? current.error?.code ?? 'unknown error'}`,
      );
    if (Date.now() > deadline)
      throw new CliError(
        EXIT.failure,
        `${what} is still ${current.status} (operation ${current.id}); check later with the console`,
      );
    await sleep(250);
    current = (await api.ok('GET', `/operations/${current.id}`, undefined, undefined, operationShape<Operation>()))
      .body;
  }
};

/** A value from --value-file (verbatim), or stdin: typed without echo, or piped (one final newline dropped). */
const readValue = async (args: ParsedArgs, name: string): Promise<string> => {
  const file = stringOpt(args.values['value-file']);
  const value = file
    ? readValueFile(file)
    : stdinIsTty()
      ? await promptLine(`Value for ${name} (not echoed): `, { silent: true })
      : withoutFinalNewline(await readStdin());
  if (value.length === 0) throw usageError('the value is empty: pipe it on stdin or pass --value-file PATH');
  return value;
};

const parseTags = (pairs: string[], sep: '=' | ':'): Record<string, string> =>
  Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf(sep);
      if (at <= 0) throw usageError(`--tag takes key${sep}value, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );

const positiveInt = (raw: string | undefined, flag: string): number => {
  const n = Number(raw);
  if (!raw || !Number.isInteger(n) || n < 1) throw usageError(`${flag} takes a whole number of days (1–3650)`);
  return n;
};

const printBindings = (ctx: CliContext, bound: BoundResource[]) => {
  if (bound.length === 0) ctx.print('bound resources: none');
  else {
    ctx.print('bound resources:');
    for (const b of bound) ctx.print(`  ${b.kind} ${b.name}${b.detail ? ` (${b.detail})` : ''}`);
  }
};

export const secretsListCommand: Command = {
  name: 'secrets list',
  usage: 'nembl secrets list [--tag k:v]… [--type T] [--due overdue|7d|30d] [--json]',
  summary: 'list secrets: name, type, tags, last rotated, bound, due',
  details: 'Filters combine (AND). --json prints one secret object per line.',
  options: {
    tag: { type: 'string', multiple: true },
    type: { type: 'string' },
    due: { type: 'string' },
    json: { type: 'boolean' },
  },
  run: async (ctx, args) => {
    const api = connect(ctx);
    const query = new URLSearchParams({ limit: '200' });
    for (const t of listOpt(args.values.tag)) {
      parseTags([t], ':');
      query.append('tag', t);
    }
    const type = stringOpt(args.values.type);
    if (type) query.set('type', type);
    const due = stringOpt(args.values.due);
    if (due) query.set('due', due);
    const all: Secret[] = [];
    for (let cursor: string | null = null; ;) {
      if (cursor) query.set('cursor', cursor);
      const page: { items: Secret[]; nextCursor: string | null } = (
        await api.ok('GET', `/secrets?${query}`, undefined, undefined, secretPageShape<Secret>())
      ).body;
      if (args.values.json) for (const s of page.items) ctx.printJson(s);
      else all.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    if (args.values.json) return;
    const rows = all.map((s) => [
      s.name,
      s.type,
      Object.entries(s.tags)
        .map(([k, v]) => `${k}:${v}`)
        .join(',') || '-',
      day(s.lastRotatedAt),
      String(s.boundResources?.length ?? 0),
      day(s.reminder?.nextDueAt),
    ]);
    ctx.print(table(['NAME', 'TYPE', 'TAGS', 'LAST ROTATED', 'BOUND', 'DUE'], rows));
  },
};

export const secretsShowCommand: Command = {
  name: 'secrets show',
  usage: 'nembl secrets show NAME [--json]',
  summary: 'metadata, versions and bound resources of a secret (never its value)',
  details: '--json prints one object { secret, versions }.',
  options: { json: { type: 'boolean' } },
  run: async (ctx, args) => {
    const name = oneName(args, secretsShowCommand.usage);
    const { secret, versions } = (
      await connect(ctx).ok(
        'GET',
        path(name),
        undefined,
        `secret ${name}`,
        secretDetailShape<Secret, { version: number; createdAt: string; createdBy?: { name?: string } | null }>(),
      )
    ).body;
    if (args.values.json) {
      ctx.printJson({ secret, versions });
      return;
    }
    ctx.print(`name:         ${secret.name}`);
    ctx.print(`type:         ${secret.type}`);
    ctx.print(`status:       ${secret.status}`);
    ctx.print(`description:  ${secret.description || '-'}`);
    ctx.print(
      `tags:         ${
        Object.entries(secret.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '-'
      }`,
    );
    ctx.print(`owners:       ${secret.owners?.map((o) => o.email).join(', ') || '-'}`);
    ctx.print(`version:      ${secret.version}`);
    ctx.print(`created:      ${secret.createdAt}${secret.createdBy?.name ? ` by ${secret.createdBy.name}` : ''}`);
    ctx.print(`last rotated: ${secret.lastRotatedAt ?? '-'}`);
    ctx.print(
      `reminder:     ${secret.reminder ? `every ${secret.reminder.intervalDays} days, next due ${secret.reminder.nextDueAt}` : 'off'}`,
    );
    ctx.print('versions:');
    for (const v of versions)
      ctx.print(`  v${v.version}  ${v.createdAt}${v.createdBy?.name ? `  ${v.createdBy.name}` : ''}`);
    printBindings(ctx, secret.boundResources ?? []);
  },
};

export const secretsCreateCommand: Command = {
  name: 'secrets create',
  usage: 'nembl secrets create NAME [--type T] [--description D] [--tag k=v]… [--remind DAYS] [--value-file PATH]',
  summary: 'create a secret; the value comes from stdin or --value-file, never an argument',
  details: `The value is read from --value-file PATH (verbatim), or from stdin: typed without echo
on a terminal, or piped (one final newline is dropped).

  printf %s "$VALUE" | nembl secrets create github-api-token --type api_key --tag env=prod --remind 90`,
  options: {
    type: { type: 'string' },
    description: { type: 'string' },
    tag: { type: 'string', multiple: true },
    remind: { type: 'string' },
    'value-file': { type: 'string' },
    json: { type: 'boolean' },
  },
  run: async (ctx, args) => {
    const name = oneName(args, secretsCreateCommand.usage);
    const remind = stringOpt(args.values.remind);
    const tags = parseTags(listOpt(args.values.tag), '=');
    const body = {
      name,
      value: await readValue(args, name),
      ...(stringOpt(args.values.type) ? { type: stringOpt(args.values.type) } : {}),
      ...(stringOpt(args.values.description) !== undefined ? { description: stringOpt(args.values.description) } : {}),
      ...(Object.keys(tags).length > 0 ? { tags } : {}),
      ...(remind !== undefined ? { reminder: { intervalDays: positiveInt(remind, '--remind') } } : {}),
    };
    const api = connect(ctx);
    const res = await api.ok('POST', '/secrets', body, `create ${name}`, writeShape<Secret, Operation>());
    await waitForOperation(api, res.body.operation, `creating ${name}`);
    const secret = (await api.ok('GET', path(name), undefined, undefined, secretShape<Secret>())).body.secret;
    if (args.values.json) ctx.printJson({ secret });
    else ctx.print(`created ${name} (version ${secret.version})`);
  },
};

export const secretsSetCommand: Command = {
  name: 'secrets set',
  usage: 'nembl secrets set NAME [--value-file PATH]',
  summary: 'store a new value (a new version); waits for it and prints the version',
  details: 'The value comes from --value-file PATH or stdin, as for `secrets create`.',
  options: { 'value-file': { type: 'string' }, json: { type: 'boolean' } },
  run: async (ctx, args) => {
    const name = oneName(args, secretsSetCommand.usage);
    const value = await readValue(args, name);
    const api = connect(ctx);
    const res = await api.ok('PUT', `${path(name)}/value`, { value }, `set ${name}`, writeShape<Secret, Operation>());
    await waitForOperation(api, res.body.operation, `setting ${name}`);
    const secret = (await api.ok('GET', path(name), undefined, undefined, secretShape<Secret>())).body.secret;
    if (args.values.json) ctx.printJson({ secret });
    else ctx.print(`${name} is now at version ${secret.version}`);
  },
};

export const secretsDeleteCommand: Command = {
  name: 'secrets delete',
  usage: 'nembl secrets delete NAME [--confirm NAME]',
  summary: 'delete a secret permanently, after showing what is bound to it',
  details: 'Without --confirm NAME, asks you to type the name (on a terminal; otherwise --confirm is required).',
  options: { confirm: { type: 'string' } },
  run: async (ctx, args) => {
    const name = oneName(args, secretsDeleteCommand.usage);
    const api = connect(ctx);
    const bound = (
      await api.ok('GET', `${path(name)}/bindings`, undefined, `secret ${name}`, bindingsShape<BoundResource>())
    ).body.items;
    printBindings(ctx, bound);
    let confirm = stringOpt(args.values.confirm);
    if (confirm === undefined) {
      if (!stdinIsTty()) throw usageError(`deleting ${name} is permanent: pass --confirm ${name}`);
      confirm = (await promptLine(`Type ${name} to delete it permanently: `, { silent: false })).trim();
    }
    if (confirm !== name) throw usageError(`the confirmation does not match ${name}; nothing deleted`);
    const res = await api.ok(
      'DELETE',
      `${path(name)}?confirm=${encodeURIComponent(name)}`,
      undefined,
      `delete ${name}`,
      maybeOperationShape<Operation>(),
    );
    await waitForOperation(api, res.body.operation, `deleting ${name}`);
    ctx.print(`deleted ${name}`);
  },
};

export const secretsRemindCommand: Command = {
  name: 'secrets remind',
  usage: 'nembl secrets remind NAME DAYS | nembl secrets remind NAME --off',
  summary: 'set (or turn off) the rotation reminder',
  details: 'DAYS: 30, 60, 90 or any whole number 1–3650.',
  options: { off: { type: 'boolean' } },
  run: async (ctx, args) => {
    const [name, days, ...extra] = args.positionals;
    if (!name || extra.length > 0 || (args.values.off ? days !== undefined : days === undefined))
      throw usageError(`usage: ${secretsRemindCommand.usage}`);
    const api = connect(ctx);
    const { secret } = args.values.off
      ? (await api.ok('DELETE', `${path(name)}/reminder`, undefined, `secret ${name}`, secretShape<Secret>())).body
      : (
          await api.ok(
            'PUT',
            `${path(name)}/reminder`,
            { intervalDays: positiveInt(days, 'DAYS') },
            `secret ${name}`,
            secretShape<Secret>(),
          )
        ).body;
    ctx.print(
      secret.reminder
        ? `${name}: reminder every ${secret.reminder.intervalDays} days, next due ${secret.reminder.nextDueAt}`
        : `${name}: reminder off`,
    );
  },
};
