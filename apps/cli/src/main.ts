import { CliError, EXIT } from './cli-error.js';
import { loginCommand, logoutCommand, whoamiCommand } from './commands/auth-commands.js';
import { parseCommandArgs, type CliContext, type Command } from './commands/command.js';
import { runCommand } from './commands/run-command.js';
import {
  secretsCreateCommand,
  secretsDeleteCommand,
  secretsListCommand,
  secretsRemindCommand,
  secretsSetCommand,
  secretsShowCommand,
} from './commands/secret-commands.js';
import { readCliEnv } from './config/env.js';

declare const NEMBL_CLI_VERSION: string;

const COMMANDS: Command[] = [
  loginCommand,
  logoutCommand,
  whoamiCommand,
  secretsListCommand,
  secretsShowCommand,
  secretsCreateCommand,
  secretsSetCommand,
  secretsDeleteCommand,
  secretsRemindCommand,
  runCommand,
];

const version = typeof NEMBL_CLI_VERSION === 'string' ? NEMBL_CLI_VERSION : 'dev';

const overview = (commands: Command[], title: string) =>
  `${title}

${commands.map((c) => `  ${c.usage}\n      ${c.summary}`).join('\n')}

Environment: NEMBL_API_URL (default http://localhost:8080) and NEMBL_TOKEN (a service token) win
over $XDG_CONFIG_HOME/nembl/config.json. \`nembl COMMAND --help\` for details.`;

const commandHelp = (c: Command) => `usage: ${c.usage}\n\n${c.summary}\n\n${c.details}`;

/** Finds the command named by the leading words of argv (`secrets list`, `run`, …). */
const findCommand = (argv: string[]): { cmd?: Command; rest: string[]; group?: string } => {
  const two = `${argv[0]} ${argv[1]}`;
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { cmd: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  if (byOne) return { cmd: byOne, rest: argv.slice(1) };
  if (argv[0] && COMMANDS.some((c) => c.name.startsWith(`${argv[0]} `))) return { group: argv[0], rest: argv.slice(1) };
  return { rest: argv };
};

const context = (): CliContext => ({
  env: readCliEnv(),
  print: (line) => void process.stdout.write(`${line}\n`),
  printJson: (value) => void process.stdout.write(`${JSON.stringify(value)}\n`),
  note: (line) => void process.stderr.write(`${line}\n`),
});

const main = async (argv: string[]): Promise<number> => {
  const ctx = context();
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    ctx.print(overview(COMMANDS, `nembl ${version} — the Nembl Secrets command line`));
    return argv.length === 0 ? EXIT.usage : 0;
  }
  if (argv[0] === '--version' || argv[0] === '-v') {
    ctx.print(version);
    return 0;
  }
  const { cmd, rest, group } = findCommand(argv);
  if (!cmd) {
    const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
    if (group && (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h')) {
      ctx.print(overview(commands, `nembl ${group} — commands`));
      return rest.length === 0 ? EXIT.usage : 0;
    }
    throw new CliError(
      EXIT.usage,
      `unknown command: nembl ${argv.slice(0, group ? 2 : 1).join(' ')} (see nembl --help)`,
    );
  }
  const args = parseCommandArgs(cmd, rest);
  if (args.values.help) {
    ctx.print(commandHelp(cmd));
    return 0;
  }
  return (await cmd.run(ctx, args)) ?? 0;
};

const finish = (code: number) => {
  // Let stdout and stderr drain (pipes may be asynchronous) before exiting.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
};

main(process.argv.slice(2)).then(finish, (err: unknown) => {
  if (err instanceof CliError) {
    process.stderr.write(`nembl: ${err.message}\n`);
    finish(err.exitCode);
    return;
  }
  process.stderr.write(`nembl: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
  finish(EXIT.failure);
});
