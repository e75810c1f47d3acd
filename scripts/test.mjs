// `npm test`: install, type-check, run every test (vitest starts its own Postgres databases,
// Redis prefixes, moto and SMTP servers per test file, and tears them down), then print one
// summary line `N passed, N failed`.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { checkNode, ensureInstalled, root, run, say } from './lib.mjs';

checkNode();
ensureInstalled();

const args = process.argv.slice(2);
if (!args.includes('--no-typecheck')) {
  say('type-checking…');
  run('npx', ['turbo', 'run', 'typecheck', '--output-logs=errors-only']);
}

const outDir = join(root, '.test-data');
mkdirSync(outDir, { recursive: true });
const report = join(outDir, 'vitest-report.json');
rmSync(report, { force: true });
say('running tests…');
const vitestArgs = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args.filter((a) => a !== '--no-typecheck')];
const r = spawnSync('npx', vitestArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } });

let passed = 0;
let failed = 0;
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests ?? 0;
  failed = json.numFailedTests ?? 0;
  // A file that failed to load has no failed tests of its own: count it as one failure.
  for (const file of json.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) failed += 1;
  }
} else {
  failed = 1;
}
if (r.status !== 0 && failed === 0) failed = 1;
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || r.status !== 0 ? 1 : 0);
