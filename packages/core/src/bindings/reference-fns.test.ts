import { describe, expect, it } from 'vitest';
import { ENV_NAME_PATTERN, parseEnvSource } from './reference-fns.js';

describe('env sources', () => {
  it('reads secret references and literals', () => {
    expect(parseEnvSource('secret:deploy-api-token')).toEqual({ kind: 'secret', name: 'deploy-api-token' });
    expect(parseEnvSource('eu-west-1')).toEqual({ kind: 'literal', value: 'eu-west-1' });
    expect(parseEnvSource('')).toEqual({ kind: 'literal', value: '' });
    expect(parseEnvSource('Secret:x')).toEqual({ kind: 'literal', value: 'Secret:x' });
  });
  it.each(['secret:', 'secret:Bad_Name', 'secret:a--b', 'secret: spaced', `secret:${'a'.repeat(129)}`])('refuses %s', (raw) => {
    expect(parseEnvSource(raw).kind).toBe('invalid');
  });
  it('accepts upper-case env names with underscores only', () => {
    for (const ok of ['DEPLOY_TOKEN', '_X', 'A1']) expect(ENV_NAME_PATTERN.test(ok)).toBe(true);
    for (const bad of ['deploy_token', 'DEPLOY-TOKEN', '1A', '', 'A B']) expect(ENV_NAME_PATTERN.test(bad)).toBe(false);
  });
});
