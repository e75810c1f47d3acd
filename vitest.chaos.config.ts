import { defineConfig } from 'vitest/config';
import { chaosProject } from './vitest.config.js';

// Every fault case, one file at a time: each starts its own processes, Redis, moto and proxies.
// CHAOS_SHAPE=multi runs the same cases with 2 APIs and 3 workers.
export default defineConfig({
  test: {
    fileParallelism: false,
    projects: [chaosProject('chaos', ['test/chaos/*.chaos.ts'])],
  },
});
