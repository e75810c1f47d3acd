import { readFileSync } from 'node:fs';
import { CliError, EXIT } from '../cli-error.js';

/** Reads one line from the terminal, echoing nothing when `silent` (passwords, values). */
export const promptLine = (question: string, { silent }: { silent: boolean }): Promise<string> =>
  new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let line = '';
    stdin.setRawMode?.(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode?.(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError(130, 'interrupted'));
        if (ch === '\u0004') return done();
        if (ch === '\u007f' || ch === '\b') {
          if (line.length > 0) {
            line = [...line].slice(0, -1).join('');
            if (!silent) process.stderr.write('\b \b');
          }
          continue;
        }
        line += ch;
        if (!silent) process.stderr.write(ch);
      }
    };
    stdin.on('data', onData);
  });

/** All of stdin (piped). */
export const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

/** A value file, read verbatim. */
export const readValueFile = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(
      EXIT.usage,
      `cannot read --value-file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
};

export const stdinIsTty = (): boolean => Boolean(process.stdin.isTTY);

/** A piped value ends with the newline `echo` adds; that newline is not part of it. */
export const withoutFinalNewline = (s: string): string => s.replace(/\r?\n$/, '');
