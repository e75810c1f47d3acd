#!/usr/bin/env node
/* eslint-disable @typescript-eslint/no-require-imports, no-undef -- a CommonJS launcher: require is its module system */
// A stable launcher so npm can link the `nembl` bin before the bundle is built. It loads the
// bundle with a V8 code cache: compiling the bundle and the functions a run calls cost ~8 ms of
// CPU per `nembl run` (of ~35 ms over bare Node). Node ≥ 22.1 has that built in
// (module.enableCompileCache); on older Node the launcher keeps the cache itself. The cache holds
// compiled code of the bundle only (no value, no argument, nothing of the environment), in a
// directory of the user's own (mode 0700), keyed by the bundle's content id, Node's version and
// the architecture, one per command. Anything wrong with it (unwritable, stale, corrupt) only means compiling.
const fs = require('node:fs');
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'nembl.cjs');

const cacheDir = () => {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(require('node:os').homedir(), '.cache');
  return path.join(base, 'nembl');
};

const ensureDir = (dir) => {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
};

const notBuilt = () => {
  process.stderr.write('nembl: the CLI is not built yet; run `npm run build` (or `npm run build -w @nembl/cli`)\n');
  process.exit(2);
};

const mod = require('node:module');
if (typeof mod.enableCompileCache === 'function') {
  try {
    mod.enableCompileCache(ensureDir(cacheDir()));
  } catch {
    // No cache: compile as usual.
  }
  try {
    require(bundle);
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && /dist[\\/]nembl\.cjs/.test(String(err.message))) notBuilt();
    throw err;
  }
} else {
  let source;
  try {
    source = fs.readFileSync(bundle, 'utf8');
  } catch (err) {
    if (err && err.code === 'ENOENT') notBuilt();
    throw err;
  }
  const vm = require('node:vm');
  // build.mjs ends the bundle with its content hash; V8 itself checks only the source's length.
  const id = /\/\/# nembl-build=([0-9a-f]{16,})\s*$/.exec(source);
  // One cache per command: each holds what its first run compiled (most of a run is compiled
  // lazily, on first call), so `nembl run` finds its own functions compiled.
  const command = ['run', 'secrets', 'login', 'logout', 'whoami'].includes(process.argv[2]) ? process.argv[2] : 'other';
  const build = id && `nembl-${id[1]}-${process.version}-${process.arch}`;
  const file = build && path.join(cacheDir(), `${build}-${command}.v8cache`);
  let cachedData;
  if (file) {
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      // Not cached yet.
    }
  }
  // The wrapper Node puts around a CommonJS module, so the bundle runs exactly as when required.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  if (file && (cachedData === undefined || script.cachedDataRejected)) {
    // Written at exit, so it holds the functions this run compiled too (most of a run is lazily compiled).
    process.once('exit', () => {
      try {
        const dir = ensureDir(path.dirname(file));
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, file);
        // Caches of other builds (or other Node versions) are not read again.
        for (const f of fs.readdirSync(dir))
          if (/^nembl-.*\.v8cache$/.test(f) && !f.startsWith(`${build}-`)) fs.rmSync(path.join(dir, f), { force: true });
      } catch {
        // Read-only home, full disk: the next run compiles again (and no temporary file stays).
        try {
          fs.rmSync(`${file}.${process.pid}.tmp`, { force: true });
        } catch {
          // There was no directory to write it in.
        }
      }
    });
  }
  const m = { exports: {} };
  script.runInThisContext()(m.exports, require, m, bundle, path.dirname(bundle));
}
