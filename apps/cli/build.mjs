// Bundles the CLI into one file (dist/nembl.cjs) so it starts fast: no module resolution at
// run time, and only the pure parts of @nembl/core (never TypeORM, BullMQ or the AWS SDK).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { version } = JSON.parse(readFileSync(here('./package.json'), 'utf8'));

// Workspace packages are bundled from their TypeScript sources (no need to build them first).
const workspaceSources = {
  name: 'workspace-sources',
  setup(b) {
    b.onResolve({ filter: /^@nembl\/core\/references$/ }, () => ({
      path: here('../../packages/core/src/bindings/reference-fns.ts'),
    }));
    b.onResolve({ filter: /^@nembl\// }, (args) => ({
      errors: [{ text: `${args.path}: the CLI may import only pure subpaths of workspace packages` }],
    }));
  },
};

await build({
  entryPoints: [here('./src/main.ts')],
  outfile: here('./dist/nembl.cjs'),
  bundle: true,
  platform: 'node',
  // CommonJS starts a few ms faster than an ES module (no ESM loader to set up).
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  define: { NEMBL_CLI_VERSION: JSON.stringify(version) },
  plugins: [workspaceSources],
  logLevel: 'warning',
});
