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
      // The terminal's bytes were decoded leniently: a replacement character means they were not UTF-8.
      if (!err && line.includes('\uFFFD'))
        err = new CliError(EXIT.usage, 'what was typed is not UTF-8 text; a value must be (or use --value-file)');
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

/**
 * Bytes as text, refused (exit 2) unless they are UTF-8: a value is stored as text, and decoding
 * other bytes would store replacement characters instead, a value other than the one given.
 */
const utf8Text = (bytes: Buffer, source: string): string => {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new CliError(EXIT.usage, `${source} is not UTF-8 text; a value must be (base64-encode binary data first)`);
  }
};

/** All of stdin (piped). */
export const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return utf8Text(Buffer.concat(chunks), 'stdin');
};

/** A value file, read verbatim. */
export const readValueFile = (path: string): string => {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new CliError(
      EXIT.usage,
      `cannot read --value-file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
  return utf8Text(bytes, `--value-file ${path}`);
};

export const stdinIsTty = (): boolean => Boolean(process.stdin.isTTY);

/** A piped value ends with the newline `echo` adds; that newline is not part of it. */
export const withoutFinalNewline = (s: string): string => s.replace(/\r?\n$/, '');
