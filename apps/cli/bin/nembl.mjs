#!/usr/bin/env node
// A stable launcher so npm can link the `nembl` bin before the bundle is built.
import('../dist/nembl.mjs').catch((err) => {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('nembl.mjs')) {
    process.stderr.write('nembl: the CLI is not built yet; run `npm run build` (or `npm run build -w @nembl/cli`)\n');
    process.exit(2);
  }
  throw err;
});
