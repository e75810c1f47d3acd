import { pino, type Logger, type DestinationStream } from 'pino';

/**
 * Keys that may carry credentials or secret values anywhere in a log object. Redaction is a
 * second line of defence: code must not log values in the first place.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'req.body',
  'req.query',
  'body',
  'value',
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'secret',
  'authorization',
  'cookie',
  '*.value',
  '*.password',
  '*.newPassword',
  '*.currentPassword',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
];

export const createLogger = (opts: { level: string; name: string; destination?: DestinationStream }): Logger =>
  pino(
    {
      level: opts.level,
      name: opts.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: opts.name },
    },
    opts.destination,
  );

export type { Logger };
