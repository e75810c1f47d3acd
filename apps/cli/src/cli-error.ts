/** Exit codes of the CLI's own failures (before CMD starts), as in the contract. */
export const EXIT = {
  failure: 1,
  usage: 2,
  auth: 3,
  denied: 4,
  unavailable: 5,
} as const;

/** A failure to report on stderr (one line, never a secret value) with its exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(EXIT.usage, message);
