// The `nembl` CLI: start-up and masking throughput, each next to a floor measured in the same run.
//   npx turbo run build --output-logs=errors-only && node bench/cli.mjs
// Needs Postgres on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379.
//
// Starts the built API and worker on a throwaway database and Redis prefix (local store), signs up,
// creates 10 + 50 secrets and a Runner token. Then:
//
//  start-up  `nembl run --env S0=secret:s-0 … --env S9=secret:s-9 -- true` (through the installed bin,
//            apps/cli/bin/nembl.cjs: start Node, load the bundle, one POST /env/resolve with 10
//            references, spawn `true`, exit) against `node -e ""` (start Node, exit). BENCH_START_N
//            (20) of each, interleaved, after 3 warm-ups; medians and their ratio (target ≤ 3×). For
//            scale, `nembl --version` (Node plus loading the bundle, no request).
//  masking   A 100 MB log-like file with the 50 secret values sprinkled in (BENCH_MASK_HITS per value).
//            `nembl run --env V0=secret:v-0 … -- cat FILE` against `cat FILE`, both with stdout piped
//            into this process (the same pipe setup), which counts and discards it. BENCH_MASK_N (5)
//            of each, interleaved; medians and their ratio (target ≤ 2×). The masked output is
//            checked first, in a run of its own (untimed): no value left, one `***` per planted
//            value. For scale, a plain Node relay of the same `cat` (spawn, 64 KiB stream reads,
//            write with backpressure, no masking), the buffered relay nembl uses, without its
//            masker (onread into one reused 1 MiB buffer), and `nembl run` with the same 50 values
//            `-- true`: start-up and resolution, the part of the masked run that is not masking.
//            Then the same runs once more, each read by a small reader process of its own (spawn,
//            count, discard, report the wall time) rather than by this one: this process is slower
//            at reading a pipe than a fresh one (its floor `cat` moves between 50 and 180 ms from
//            run to run, a fresh reader's stays near 50), which flatters every ratio against it.
//            Next to them, `cat FILE | cat`: the cheapest relay there is, the floor of any program
//            that passes output on.
//
// Everything it starts (processes, database, Redis keys, the file) is removed at the end, also on
// failure, Ctrl-C or the time budget (BENCH_BUDGET_MS, at most 240 s).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { finish, log, scope, startBench, wallTimeLine } from './lib/run.mjs';
import { fixed, stats } from './lib/stats.mjs';
import { ROOT, expectStatus, mintToken, requireBuilt, signUp, startSystem } from './lib/system.mjs';
import { fetchJson } from './lib/http.mjs';

const START_N = Math.max(3, Number(process.env.BENCH_START_N ?? 20));
const START_WARMUP = 3;
const MASK_N = Math.max(1, Number(process.env.BENCH_MASK_N ?? 5));
const MASK_BYTES = 100 * 1024 * 1024;
const MASK_VALUES = 50;
const MASK_HITS = Math.max(1, Number(process.env.BENCH_MASK_HITS ?? 20));
const REFS = 10;
const CLI_BIN = join(ROOT, 'apps/cli/bin/nembl.cjs');
// What any Node wrapper pays to pass a child's output on (spawn, read, write with backpressure), without masking.
const RELAY = `const c = require('node:child_process').spawn('cat', [process.argv[1]], { stdio: ['inherit', 'pipe', 'inherit'] });
c.stdout.on('data', (b) => { if (!process.stdout.write(b)) { c.stdout.pause(); process.stdout.once('drain', () => c.stdout.resume()); } });`;
// The cheapest relay Node offers, and the one nembl run uses without its masker: the child's
// pipe read by `onread` into one reused 1 MiB buffer, written with backpressure. What masking
// costs is the masked run less this (and less start-up and resolution).
const RELAY_BUFFERED = `const { Socket } = require('node:net');
const c = require('node:child_process').spawn('cat', [process.argv[1]], { stdio: ['inherit', 'pipe', 'inherit'] });
const handle = c.stdout._handle; c.stdout._handle = null;
const buffer = Buffer.allocUnsafe(1 << 20);
const s = new Socket({ handle, writable: false, onread: { buffer, callback: (n) => {
  if (process.stdout.write(buffer.subarray(0, n))) return true;
  process.stdout.once('drain', () => s.resume()); return false;
} } });`;
const CLI_BUNDLE = join(ROOT, 'apps/cli/dist/nembl.cjs');
// Reads the masked output (argv[1]) and the values (stdin, JSON): how many values are left, how many `***`.
const CHECK_MASKED = `const out = require('node:fs').readFileSync(process.argv[1], 'latin1');
const values = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify({ left: values.filter((v) => out.includes(v)).length, stars: out.split('***').length - 1, size: out.length }));`;

// The lean reader: runs argv[1..] with stdout piped, counts and discards it, prints its wall ms.
const LEAN_READER = `const { spawn } = require('node:child_process');
const t0 = performance.now();
const c = spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'pipe', 'inherit'] });
let n = 0;
c.stdout.on('data', (b) => { n += b.length; });
c.once('close', (code) => { process.stdout.write(JSON.stringify({ ms: performance.now() - t0, bytes: n, code })); });`;

startBench({ capMs: 240_000 });
requireBuilt();
if (!existsSync(CLI_BUNDLE)) {
  process.stderr.write('apps/cli/dist/nembl.cjs is missing: run `npx turbo run build` first\n');
  process.exit(1);
}

const request = fetchJson;

/** Runs a command with stdout piped here (counted, discarded); resolves with wall ms and bytes. */
const timedRun = (cmd, args, env) =>
  new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c) => {
      bytes += c.length;
    });
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('close', (code) => {
      const ms = performance.now() - t0;
      if (code !== 0)
        reject(new Error(`${cmd} ${args.join(' ').slice(0, 200)} exited ${code}: ${stderr.slice(0, 400)}`));
      else resolve({ ms, bytes });
    });
  });

/** Runs a command under the lean reader (a process of its own); resolves with the wall ms it measured. */
const leanRun = (cmd, args, env) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', LEAN_READER, cmd, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('close', () => {
      const r = out ? JSON.parse(out) : { code: -1 };
      if (r.code !== 0)
        reject(new Error(`${cmd} ${args.join(' ').slice(0, 200)} exited ${r.code}: ${stderr.slice(0, 400)}`));
      else resolve(r.ms);
    });
  });

/** ~100 MB of log lines; every value appears MASK_HITS times, spread evenly. */
const writeLog = (file, values) => {
  const fd = openSync(file, 'w');
  const lineOf = (i) =>
    `2026-12-01T07:00:00.${String(i % 1000).padStart(3, '0')}Z INFO request handled method=GET path=/api/v1/items/${i} status=200 latency_ms=${i % 97} id=${(i * 2654435761) >>> 0}\n`;
  const plantEvery = Math.floor(MASK_BYTES / 120 / (values.length * MASK_HITS));
  let written = 0;
  let i = 0;
  let planted = 0;
  const batch = [];
  while (written < MASK_BYTES) {
    let line = lineOf(i);
    if (i % plantEvery === 0 && planted < values.length * MASK_HITS)
      line = `${line.slice(0, -1)} token=${values[planted++ % values.length]}\n`;
    batch.push(line);
    written += line.length;
    i++;
    if (batch.length === 4096) writeSync(fd, batch.splice(0).join(''));
  }
  writeSync(fd, batch.join(''));
  closeSync(fd);
  return { bytes: written, planted };
};

const main = scope(async (defer) => {
  const { base } = await startSystem(defer, {
    store: 'local',
    request,
    prefix: 'nembl-bench-cli',
    rateLimitPerMin: 1_000_000,
    storeEnv: { SECRET_STORE: 'local' },
    // Stop at once on SIGTERM (no load-balancer drain): the API otherwise serves /readyz 503 for
    // 5 s at the end, and the bench's 5 s grace ran out and SIGKILLed it.
    env: { NEMBL_SHUTDOWN_DRAIN_MS: '0' },
  });
  const session = await signUp(request, base);
  const admin = { authorization: `Bearer ${await mintToken(request, base, session, 'bench-admin', ['Admin'])}` };
  const runner = await mintToken(request, base, session, 'bench-runner', ['Runner']);
  const maskValues = Array.from({ length: MASK_VALUES }, () => randomBytes(24).toString('base64url'));
  // A loaded machine may answer 202 (still running): wait for the operation then.
  const create = async (name, value) => {
    const body = { name, value };
    const r = expectStatus(
      `create ${name}`,
      await request(base, 'POST', '/api/v1/secrets', { headers: admin, body }),
      201,
      202,
    );
    for (let op = r.json.operation; op && op.status !== 'succeeded';) {
      if (op.status === 'failed') throw new Error(`create ${name} failed: ${JSON.stringify(op.error)}`);
      await new Promise((done) => setTimeout(done, 50));
      const polled = await request(base, 'GET', `/api/v1/operations/${op.id}`, { headers: admin });
      op = expectStatus(`operation ${op.id}`, polled, 200).json;
    }
  };
  for (let i = 0; i < REFS; i++) await create(`s-${i}`, randomBytes(16).toString('hex'));
  for (let i = 0; i < MASK_VALUES; i++) await create(`v-${i}`, maskValues[i]);
  log(`created ${REFS + MASK_VALUES} secrets`);

  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', NEMBL_API_URL: base, NEMBL_TOKEN: runner };
  const refs = Array.from({ length: REFS }, (_, i) => ['--env', `S${i}=secret:s-${i}`]).flat();

  // --- start-up ---
  const floorMs = [];
  const cliMs = [];
  const versionMs = [];
  for (let i = 0; i < START_WARMUP + START_N; i++) {
    const floor = await timedRun(process.execPath, ['-e', ''], env);
    const cli = await timedRun(process.execPath, [CLI_BIN, 'run', ...refs, '--', 'true'], env);
    const version = await timedRun(process.execPath, [CLI_BIN, '--version'], env);
    if (i >= START_WARMUP) {
      floorMs.push(floor.ms);
      cliMs.push(cli.ms);
      versionMs.push(version.ms);
    }
  }

  // --- masking ---
  const dir = mkdtempSync(join(tmpdir(), 'nembl-bench-cli-'));
  defer(`rm ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'log.txt');
  const { bytes, planted } = writeLog(file, maskValues);
  log(`wrote ${(bytes / 1048576).toFixed(0)} MiB with ${planted} planted values`);
  const maskRefs = Array.from({ length: MASK_VALUES }, (_, i) => ['--env', `V${i}=secret:v-${i}`]).flat();
  // Checked once, untimed, through a file and a child process: holding the 100 MiB here would leave
  // garbage whose collection slows this process, the reader of every timed run below. The run also
  // puts the file in the page cache and warms the API's resolution path.
  {
    const maskedFile = join(dir, 'masked.txt');
    const fd = openSync(maskedFile, 'w');
    const code = await new Promise((resolve, reject) => {
      const c = spawn(process.execPath, [CLI_BIN, 'run', ...maskRefs, '--', 'cat', file], {
        env,
        stdio: ['ignore', fd, 'inherit'],
      });
      c.once('error', reject);
      c.once('close', resolve);
    });
    closeSync(fd);
    const check = spawnSync(process.execPath, ['-e', CHECK_MASKED, maskedFile], {
      input: JSON.stringify(maskValues),
      encoding: 'utf8',
    });
    rmSync(maskedFile, { force: true });
    if (code !== 0 || check.status !== 0) throw new Error(`masked run exited ${code}; check: ${check.stderr}`);
    const { left, stars, size } = JSON.parse(check.stdout);
    if (left > 0 || stars !== planted)
      throw new Error(`masking check failed: ${left} values left, ${stars} *** for ${planted} planted`);
    log(`masked output checked: no value left, ${stars} ***, ${size} bytes (file: ${bytes})`);
  }
  const catMs = [];
  const maskMs = [];
  const relayMs = [];
  const bufferedMs = [];
  const fixedMs = [];
  for (let i = 0; i < MASK_N; i++) {
    catMs.push((await timedRun('cat', [file], env)).ms);
    maskMs.push((await timedRun(process.execPath, [CLI_BIN, 'run', ...maskRefs, '--', 'cat', file], env)).ms);
    relayMs.push((await timedRun(process.execPath, ['-e', RELAY, file], env)).ms);
    bufferedMs.push((await timedRun(process.execPath, ['-e', RELAY_BUFFERED, file], env)).ms);
    fixedMs.push((await timedRun(process.execPath, [CLI_BIN, 'run', ...maskRefs, '--', 'true'], env)).ms);
  }
  const lean = { cat: [], catcat: [], buffered: [], mask: [] };
  for (let i = 0; i < MASK_N; i++) {
    lean.cat.push(await leanRun('cat', [file], env));
    lean.catcat.push(await leanRun('sh', ['-c', 'cat "$0" | cat', file], env));
    lean.buffered.push(await leanRun(process.execPath, ['-e', RELAY_BUFFERED, file], env));
    lean.mask.push(await leanRun(process.execPath, [CLI_BIN, 'run', ...maskRefs, '--', 'cat', file], env));
  }

  const s = (xs) => stats(xs);
  const row = (name, xs) => {
    const st = s(xs);
    return `${name.padEnd(58)} ${String(xs.length).padStart(3)} ${fixed(st.p50).padStart(8)} ${fixed(st.p95).padStart(8)} ${fixed(st.min).padStart(8)}`;
  };
  const startRatio = s(cliMs).p50 / s(floorMs).p50;
  const maskRatio = s(maskMs).p50 / s(catMs).p50;
  const mbps = (ms) => (bytes / 1048576 / (ms / 1000)).toFixed(0);
  process.stdout.write(
    [
      '',
      `${'wall time, ms'.padEnd(58)}   n      p50      p95      min`,
      row(`nembl run (${REFS} references) -- true`, cliMs),
      row('floor: node -e ""', floorMs),
      row('(for scale) nembl --version: Node + loading the bundle', versionMs),
      `start-up ratio (p50): ${startRatio.toFixed(2)}× (target ≤ 3×) ${startRatio <= 3 ? 'OK' : 'MISSED'}`,
      '',
      row(`nembl run (${MASK_VALUES} values) -- cat 100 MiB  [${mbps(s(maskMs).p50)} MiB/s]`, maskMs),
      row(`floor: cat 100 MiB  [${mbps(s(catMs).p50)} MiB/s]`, catMs),
      row(`(for scale) node relay of cat, no masking  [${mbps(s(relayMs).p50)} MiB/s]`, relayMs),
      row(`(for scale) node relay, reused 1 MiB buffer, no masking  [${mbps(s(bufferedMs).p50)} MiB/s]`, bufferedMs),
      row(`(for scale) nembl run (${MASK_VALUES} values) -- true: start-up, resolution`, fixedMs),
      `masking ratio (p50): ${maskRatio.toFixed(2)}× (target ≤ 2×) ${maskRatio <= 2 ? 'OK' : 'MISSED'}; vs the plain Node relay ${(s(maskMs).p50 / s(relayMs).p50).toFixed(2)}×`,
      `(for scale) the masked run less its start-up and resolution (p50 − p50): ${fixed(s(maskMs).p50 - s(fixedMs).p50)} ms = ${((s(maskMs).p50 - s(fixedMs).p50) / s(catMs).p50).toFixed(2)}× cat`,
      `(for scale) the buffered relay alone is ${(s(bufferedMs).p50 / s(catMs).p50).toFixed(2)}× cat; with start-up and resolution added (p50 + p50 − node) a masker that cost nothing would be ~${((s(bufferedMs).p50 + s(fixedMs).p50 - s(floorMs).p50) / s(catMs).p50).toFixed(2)}× cat`,
      '',
      'each run read by a fresh reader process of its own:',
      row(`nembl run (${MASK_VALUES} values) -- cat 100 MiB  [${mbps(s(lean.mask).p50)} MiB/s]`, lean.mask),
      row(`floor: cat 100 MiB  [${mbps(s(lean.cat).p50)} MiB/s]`, lean.cat),
      row(`(for scale) cat | cat: the cheapest relay  [${mbps(s(lean.catcat).p50)} MiB/s]`, lean.catcat),
      row(
        `(for scale) node relay, reused 1 MiB buffer, no masking  [${mbps(s(lean.buffered).p50)} MiB/s]`,
        lean.buffered,
      ),
      `masking ratio (p50), fresh reader: ${(s(lean.mask).p50 / s(lean.cat).p50).toFixed(2)}× cat (target ≤ 2×) ${s(lean.mask).p50 / s(lean.cat).p50 <= 2 ? 'OK' : 'MISSED'}; ${(s(lean.mask).p50 / s(lean.catcat).p50).toFixed(2)}× cat | cat; the bare Node relay alone is ${(s(lean.buffered).p50 / s(lean.cat).p50).toFixed(2)}× cat`,
      '',
      wallTimeLine(),
      '',
    ].join('\n'),
  );
});

await finish(main);
