import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Vitest global setup: the tests run the bundle the way users do, so build it from the current sources first. */
export default function setup() {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../build.mjs', import.meta.url))], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('building the nembl bundle failed');
}
