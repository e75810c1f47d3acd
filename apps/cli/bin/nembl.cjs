#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports, no-undef -- a CommonJS launcher: require is its module system */
// A stable launcher so npm can link the `nembl` bin before the bundle is built.
try {
  require.resolve('../dist/nembl.cjs');
} catch {
  process.stderr.write('nembl: the CLI is not built yet; run `npm run build` (or `npm run build -w @nembl/cli`)\n');
  process.exit(2);
}
require('../dist/nembl.cjs');
