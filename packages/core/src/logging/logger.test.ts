import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

const capture = () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', name: 'redaction-test', destination }) };
};

describe('log redaction', () => {
  it('censors values, passwords, tokens, cookies and authorization headers wherever a caller logs them', () => {
    const { lines, logger } = capture();
    const canary = 'redaction-canary-71ab';
    logger.info({ value: `${canary}-value`, password: `${canary}-password` }, 'top level');
    logger.info({ body: { name: 'x', value: `${canary}-body` } }, 'a request body');
    logger.info({ req: { headers: { authorization: `Bearer ${canary}-bearer`, cookie: `nembl_session=${canary}-cookie` }, query: { token: `${canary}-query` } } }, 'a request');
    logger.warn({ upstream: { value: `${canary}-upstream`, secret: `${canary}-secret`, token: `${canary}-token` } }, 'an upstream error');
    const out = lines.join('');
    expect(out).toContain('[redacted]');
    expect(out).toContain('an upstream error');
    expect(out).not.toContain(canary);
  });
});
