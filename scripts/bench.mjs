// `npm run bench`: build, then every bench under bench/ in sequence (each starts and removes its own
// databases, Redis keys, processes and moto). Each prints its figures next to a floor measured in
// the same run and the ratio; the figures go to bench/RESULTS.md by hand, with the command.
// `npm run bench -- secret-latency policy-bench` runs only those.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { checkNode, ensureInstalled, root, run, say } from './lib.mjs';

checkNode();
ensureInstalled();
say('building…');
run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);

const only = process.argv.slice(2).map((a) => a.replace(/\.mjs$/, ''));
const benches = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.mjs'))
  .sort()
  .filter((f) => only.length === 0 || only.includes(f.replace(/\.mjs$/, '')));
const failed = [];
for (const file of benches) {
  say(`bench/${file}`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join('bench', file)], { cwd: root, stdio: 'inherit' });
  say(
    `bench/${file}: ${r.status === 0 ? 'done' : `failed (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (r.status !== 0) failed.push(file);
}
process.stdout.write(
  `\n${benches.length - failed.length} benches done, ${failed.length} failed${failed.length ? `: ${failed.join(', ')}` : ''}\n`,
);
process.exit(failed.length ? 1 : 0);
