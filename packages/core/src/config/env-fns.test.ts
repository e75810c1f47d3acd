import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadOrCreateDevKey, parseEnv, resolveKeys, sharedEnvSchema } from './env-fns.js';

describe('configuration', () => {
  it('refuses production without master key, session secret and database URL, naming each', () => {
    const env = parseEnv(sharedEnvSchema, { NODE_ENV: 'production' });
    expect(() => resolveKeys(env, () => {})).toThrow(ConfigError);
    expect(() => resolveKeys(env, () => {})).toThrow(/DATABASE_URL, NEMBL_MASTER_KEY, NEMBL_SESSION_SECRET/);
  });

  it('rejects a master key that is not 32 bytes', () => {
    const env = parseEnv(sharedEnvSchema, {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@localhost/db',
      NEMBL_MASTER_KEY: Buffer.alloc(16).toString('base64'),
      NEMBL_SESSION_SECRET: Buffer.alloc(32).toString('base64'),
    });
    expect(() => resolveKeys(env, () => {})).toThrow(/NEMBL_MASTER_KEY must be 32 bytes/);
  });

  it('generates development keys once, mode 0600, and reuses them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nembl-keys-'));
    const warnings: string[] = [];
    const env = parseEnv(sharedEnvSchema, { NEMBL_DATA_DIR: dir });
    const first = resolveKeys(env, (m) => warnings.push(m));
    const second = resolveKeys(env, (m) => warnings.push(m));
    expect(first.masterKey.equals(second.masterKey)).toBe(true);
    expect(first.sessionSecret.equals(first.masterKey)).toBe(false);
    expect(warnings).toHaveLength(2);
    expect(statSync(join(dir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(join(dir, 'master.key'), 'utf8').trim(), 'base64')).toHaveLength(32);
    expect(loadOrCreateDevKey(dir, 'master.key').created).toBe(false);
  });

  it('treats an empty variable as unset', () => {
    expect(parseEnv(sharedEnvSchema, { AWS_ENDPOINT_URL: '', NEMBL_WRITE_WAIT_MS: '' }).NEMBL_WRITE_WAIT_MS).toBe(3000);
  });

  it('names the bad variable when parsing fails', () => {
    expect(() => parseEnv(sharedEnvSchema, { NEMBL_WRITE_WAIT_MS: 'soon' })).toThrow(/NEMBL_WRITE_WAIT_MS/);
  });
});
