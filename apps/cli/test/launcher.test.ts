import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { tempConfigHome } from './cli-harness.js';

const BIN = fileURLToPath(new URL('../bin/nembl.cjs', import.meta.url));
/** Node ≥ 22.1 keeps the cache itself (module.enableCompileCache); the launcher's own is for older Node. */
const nodeHasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

const launch = (args: string[], cacheHome: string) =>
  spawnSync(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: cacheHome, XDG_CACHE_HOME: join(cacheHome, 'cache') },
    encoding: 'utf8',
  });

describe('the nembl launcher (bin/nembl.cjs)', () => {
  const homes: Array<{ cleanup: () => void }> = [];
  afterEach(() => homes.splice(0).forEach((h) => h.cleanup()));

  it('runs the bundle the same with no cache, a cache it wrote, and a corrupt cache; the cache is the user’s own', () => {
    const home = tempConfigHome();
    homes.push(home);
    const first = launch(['--help'], home.dir);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('nembl run');
    const dir = join(home.dir, 'cache', 'nembl');
    if (!nodeHasCompileCache) {
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/^nembl-[0-9a-f]{32}-v[\d.]+-\w+-other\.v8cache$/);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, files[0]!)).mode & 0o777).toBe(0o600);
      const cached = launch(['--help'], home.dir);
      expect(cached).toMatchObject({ status: 0, stdout: first.stdout, stderr: first.stderr });
      // A cache V8 refuses only costs a compile, and is written anew.
      writeFileSync(join(dir, files[0]!), 'not a code cache');
      const corrupt = launch(['--help'], home.dir);
      expect(corrupt).toMatchObject({ status: 0, stdout: first.stdout, stderr: first.stderr });
      expect(statSync(join(dir, files[0]!)).size).toBeGreaterThan(100);
      // A command of its own gets a cache of its own; the exit code passes through.
      const unknown = launch(['run'], home.dir);
      expect(unknown.status).toBe(2);
      expect(readdirSync(dir).sort()).toEqual([files[0], files[0]!.replace('-other.', '-run.')].sort());
    }
  });

  it('still runs when the cache directory cannot be written', () => {
    const home = tempConfigHome();
    homes.push(home);
    // A file where the directory should be: mkdir fails, the run does not.
    writeFileSync(join(home.dir, 'cache'), '');
    const r = launch(['--version'], home.dir);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.stderr).toBe('');
  });
});
