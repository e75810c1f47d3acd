import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources of the workspace packages, not their builds.
const alias = {
  // Subpath entries first: a bare '@nembl/core' alias would also match '@nembl/core/…'.
  '@nembl/core/references': here('./packages/core/src/bindings/reference-fns.ts'),
  '@nembl/core': here('./packages/core/src/index.ts'),
  '@nembl/policy': here('./packages/policy/src/index.ts'),
  '@nembl/testkit': here('./packages/testkit/src/index.ts'),
};

const project = (name: string, dir: string, extra: { globalSetup?: string[]; include?: string[]; testTimeout?: number } = {}) => ({
  resolve: { alias },
  test: {
    name,
    root: here(dir),
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    ...extra,
  },
});

const withDb = { globalSetup: [here('./packages/testkit/src/global-setup.ts')] };

/**
 * Fault tests on real api and worker processes (apps/api/test/chaos). `npm test` runs the fast
 * subset named here; `npm run test:chaos` (vitest.chaos.config.ts) runs every case.
 */
export const chaosProject = (name: string, include: string[]) =>
  project(name, './apps/api', { ...withDb, include, testTimeout: 180_000 });

export default defineConfig({
  test: {
    projects: [
      project('core', './packages/core', withDb),
      project('policy', './packages/policy'),
      project('api', './apps/api', withDb),
      project('worker', './apps/worker', withDb),
      project('cli', './apps/cli', { globalSetup: [...withDb.globalSetup, here('./apps/cli/test/build-cli.ts')] }),
      // Repository-level checks: deployment files (Compose Specification, Dockerfile).
      { test: { name: 'deploy', root: here('.'), include: ['test/**/*.test.ts'] } },
      chaosProject('chaos-fast', ['test/chaos/lease-recovery.chaos.ts']),
    ],
  },
});
