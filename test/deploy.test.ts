import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DCLinter } from 'dclint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');

// No Docker engine runs here, so the Compose file is checked against the Compose Specification's
// JSON schema (shipped by dclint) and dclint's correctness rules; its ordering opinions are off.
const linter = new DCLinter({ ...JSON.parse(read('.dclintrc.json')), quiet: false, debug: false, exclude: [] });

const lint = (path: string) => {
  const [result] = linter.lintFiles([path], false);
  return result!.messages.map((m) => `${m.rule} ${m.type}: ${m.message}`);
};

describe('production parts', () => {
  it('docker-compose.yml conforms to the Compose Specification', () => {
    expect(lint(join(root, 'docker-compose.yml'))).toEqual([]);
  });

  it('the check rejects a Compose file the specification does not allow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nembl-compose-'));
    try {
      const broken = read('docker-compose.yml').replace(
        "    healthcheck:\n      test: ['CMD', 'redis-cli', 'ping']",
        "    healthchek:\n      test: ['CMD', 'redis-cli', 'ping']",
      );
      expect(broken).toContain('healthchek');
      writeFileSync(join(dir, 'docker-compose.yml'), broken);
      expect(lint(join(dir, 'docker-compose.yml')).join('\n')).toMatch(/invalid-schema/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds on the current Node LTS while the code still supports Node 20.19+', () => {
    expect(read('Dockerfile')).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    expect(JSON.parse(read('package.json')).engines.node).toBe('>=20.19');
  });
});
