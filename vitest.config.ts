import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run against the TypeScript sources of the workspace packages, not their builds. The pure
// subpaths the console imports come first (a plain '@nembl/core' entry would also match them).
const alias = [
  { find: /^@nembl\/core\/references$/, replacement: here('./packages/core/src/bindings/reference-fns.ts') },
  { find: /^@nembl\/core\/schemas$/, replacement: here('./packages/core/src/secrets/secret-fns.ts') },
  { find: /^@nembl\/policy\/types$/, replacement: here('./packages/policy/src/policy-types.ts') },
  { find: /^@nembl\/core$/, replacement: here('./packages/core/src/index.ts') },
  { find: /^@nembl\/policy$/, replacement: here('./packages/policy/src/index.ts') },
  { find: /^@nembl\/testkit$/, replacement: here('./packages/testkit/src/index.ts') },
];

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
      // The console: component tests in jsdom, and one end-to-end file driving Chromium against the real stack.
      {
        plugins: [react()],
        resolve: { alias },
        test: { name: 'web', root: here('./apps/web'), include: ['test/**/*.test.{ts,tsx}'], environment: 'jsdom', setupFiles: ['./test/setup.ts'], testTimeout: 30_000 },
      },
      {
        resolve: { alias },
        test: { name: 'web-e2e', root: here('./apps/web'), include: ['e2e/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 180_000, ...withDb },
      },
    ],
  },
});
