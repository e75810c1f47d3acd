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

// The CLI's tests run its bundle as users do (their vitest setup rebuilds it too, for single runs).
say('building the nembl CLI bundle…');
run('npm', ['run', 'build', '--silent', '-w', '@nembl/cli']);

// The console's end-to-end tests drive Debian's Chromium (apps/web/e2e). Install it when missing and
// we may (root); otherwise stop here and say how, rather than fail deep inside a test.
const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0) {
    say('installing Chromium for the console tests (apt-get)…');
    run('apt-get', ['update']);
    run('apt-get', ['install', '-y', 'chromium'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    process.stderr.write(`${CHROMIUM} is missing. Install it first: sudo apt-get update && sudo apt-get install -y chromium\n`);
    process.exit(1);
  }
}

const outDir = join(root, '.test-data');
mkdirSync(outDir, { recursive: true });
const report = join(outDir, 'vitest-report.json');
rmSync(report, { force: true });
say('running tests…');
const vitestArgs = ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...args.filter((a) => a !== '--no-typecheck')];
const r = spawnSync('npx', vitestArgs, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } });

/** Passed and failed counts from vitest's JSON report; a file that failed to load counts as one failure. */
const countResults = () => {
  if (!existsSync(report)) return { passed: 0, failed: 1 };
  const json = JSON.parse(readFileSync(report, 'utf8'));
  let failed = json.numFailedTests ?? 0;
  for (const file of json.testResults ?? []) {
    if (file.status === 'failed' && !(file.assertionResults ?? []).some((a) => a.status === 'failed')) failed += 1;
  }
  return { passed: json.numPassedTests ?? 0, failed };
};
const counted = countResults();
const passed = counted.passed;
// A run that exited non-zero without a counted failure (a crash, a setup error) still failed.
const failed = r.status !== 0 && counted.failed === 0 ? 1 : counted.failed;
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || r.status !== 0 ? 1 : 0);
