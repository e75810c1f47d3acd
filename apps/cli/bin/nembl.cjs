#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports, no-undef -- a CommonJS launcher: require is its module system */
// A stable launcher so npm can link the `nembl` bin before the bundle is built. One require, no
// require.resolve first: resolving the path twice cost a few ms of every start.
try {
  require('../dist/nembl.cjs');
} catch (err) {
  if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]nembl\.cjs/.test(String(err.message))) {
    process.stderr.write('nembl: the CLI is not built yet; run `npm run build` (or `npm run build -w @nembl/cli`)\n');
    process.exit(2);
  }
  throw err;
}
