import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from '../../api/test/harness.js';
import { base64Core } from '../src/run/mask-forms.js';
import { BUNDLE, nodeChild, runCli, startCli } from './cli-harness.js';

// A canary whose encoded forms all differ from it: quote and backslash (JSON), +, / and & (percent, base64url).
const CANARY = 'Canary"Q\\uote/with+plus&amp=1-ünïcode-7f3a9';
const CERT = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBszCCAVmgAwIBAgIUQ2FuYXJ5Q2VydGlmaWNhdGVMaW5lT25l',
  'TGluZVR3b09mVGhlQ2FuYXJ5Q2VydGlmaWNhdGVXaXRoTW9yZQ==',
  '-----END CERTIFICATE-----',
].join('\n');

// Characters encoders disagree on (`/`, `!'()*`, space, `<>&`, non-ASCII, an astral character,
// U+2028), and long enough (> 57 bytes) for wrapped base64 to take more than one line.
const ENCODABLE = "tok/with(paren)*star! it's <b>&amp; öl 😀\u2028 and then some more to wrap: 0123456789abcdefghij";

let t: TestApi;
let admin: ApiClient;
let token: string;
const scratch = mkdtempSync(join(tmpdir(), 'nembl-run-'));

const newToken = async (roles: string[], extra: Record<string, unknown> = {}) =>
  (await admin.post('/api/v1/tokens', { name: `t-${Math.random()}`, roles, ...extra })).body.token as string;

beforeAll(async () => {
  t = await startTestApi();
  admin = new ApiClient(t.url);
  await admin.signup();
  for (const [name, value] of [
    ['canary', CANARY],
    ['tls-cert', CERT],
    ['short-pin', 'abc'],
    ['rotating', 'rotating-value-one'],
    ['encodable', ENCODABLE],
  ]) {
    expect((await admin.post('/api/v1/secrets', { name, value })).status).toBe(201);
  }
  token = await newToken(['Runner']);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const cliEnv = () => ({ NEMBL_API_URL: t.url, NEMBL_TOKEN: token });
const run = (flags: string[], script: string, env: Record<string, string | undefined> = cliEnv()) =>
  runCli(['run', ...flags, '--', ...nodeChild(script)], { env });
/** `nembl run --watch --watch-interval 1 FLAGS -- node -e SCRIPT`, started. */
const watching = (flags: string[], script: string) =>
  startCli(['run', '--watch', '--watch-interval', '1', ...flags, '--', ...nodeChild(script)], { env: cliEnv() });

/** Every form of the canary a leaky child might print. */
const canaryForms = () => {
  const bytes = Buffer.from(CANARY);
  return [
    CANARY,
    JSON.stringify(CANARY).slice(1, -1),
    encodeURIComponent(CANARY),
    ...[0, 1, 2].flatMap((o) => [base64Core(bytes, o), base64Core(bytes, o).replace(/\+/g, '-').replace(/\//g, '_')]),
    ...CERT.split('\n'),
  ];
};

describe('nembl run masks every resolved value in the child’s output', () => {
  const leaky = `
    const v = process.env.CANARY, cert = process.env.CERT;
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      console.log('raw:', v);
      process.stdout.write('split: ' + v.slice(0, 9)); await pause(60);
      process.stdout.write(v.slice(9, 20)); await pause(60);
      process.stdout.write(v.slice(20) + ' end\\n');
      for (const pad of ['', 'x', 'xy']) console.log('b64:', Buffer.from(pad + v + '!').toString('base64'));
      console.log('b64url:', Buffer.from(v).toString('base64url'));
      console.log('url:', 'https://example.com/?t=' + encodeURIComponent(v));
      console.log('json:', JSON.stringify({ token: v }));
      console.error('stderr:', v);
      for (const line of cert.split('\\n')) { console.log('cert:', line); await pause(10); }
      console.log('literal:', process.env.REGION);
    })();`;

  it('prints none of the raw, split, base64, base64url, percent-encoded, JSON-escaped or certificate-line forms', async () => {
    const r = await run(
      ['--env', 'CANARY=secret:canary', '--env', 'CERT=secret:tls-cert', '--env', 'REGION=eu-west-1'],
      leaky,
    );
    expect(r.stderr).toContain('stderr: ***');
    expect(r.code).toBe(0);
    const out = r.stdout + r.stderr;
    for (const form of canaryForms()) expect(out).not.toContain(form);
    expect(r.stdout).toContain('raw: ***\n');
    expect(r.stdout).toContain('split: *** end\n');
    expect(r.stdout.match(/^b64: .{0,3}\*\*\*.{0,4}$/gm)).toHaveLength(3);
    expect(r.stdout).toMatch(/^url: https:\/\/example\.com\/\?t=\*\*\*$/m);
    expect(r.stdout).toContain('json: {"token":"***"}');
    expect(r.stdout.match(/^cert: \*\*\*$/gm)).toHaveLength(4);
    // Literals are not secrets.
    expect(r.stdout).toContain('literal: eu-west-1');
  });

  it('masks the value as Python, coreutils base64 and openssl print it: other percent-encodings, JSON escapings, wrapped base64', async () => {
    const python = [
      'import os, re, json, urllib.parse as u',
      'v = os.environ["V"]',
      'lower = lambda s: re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), s)',
      'print("quote:", u.quote(v))',
      'print("quote-all:", u.quote(v, safe=""))',
      'print("quote-plus:", u.quote_plus(v))',
      'print("quote-lower:", lower(u.quote(v, safe="")))',
      'print("json-ascii:", json.dumps({"t": v}))',
      'print("json-php:", json.dumps({"t": v}).replace("/", "\\\\/"))',
      'print("json-go:", json.dumps({"t": v}, ensure_ascii=False).replace("<", "\\\\u003c").replace(">", "\\\\u003e").replace("&", "\\\\u0026").replace("\u2028", "\\\\u2028"))',
    ].join('\n');
    const script = [
      `python3 -c '${python}'`,
      'echo "b64-76:"; printf %s "$V" | base64',
      'echo "b64-76-crlf:"; printf %s "$V" | base64 | sed "s/\\$/\\r/"',
      'echo "b64-echo:"; echo "$V" | base64',
      'echo "b64-64:"; printf %s "$V" | openssl base64',
      'echo "end"',
    ].join('\n');
    const r = await runCli(['run', '--env', 'V=secret:encodable', '--', 'sh', '-c', script], { env: cliEnv() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const label of ['quote', 'quote-all', 'quote-plus', 'quote-lower'])
      expect(r.stdout).toMatch(new RegExp(`^${label}: \\*\\*\\*$`, 'm'));
    for (const label of ['json-ascii', 'json-php', 'json-go'])
      expect(r.stdout).toMatch(new RegExp(`^${label}: \\{"t": "\\*\\*\\*"\\}$`, 'm'));
    const blocks = r.stdout.split(/^(b64-[\w-]+):\n/m).slice(1);
    expect(blocks.filter((_, i) => i % 2 === 0)).toEqual(['b64-76', 'b64-76-crlf', 'b64-echo', 'b64-64']);
    for (let i = 1; i < blocks.length; i += 2) {
      const block = blocks[i]!.replace(/end\n$/, '');
      expect(block).toContain('***');
      // What is left: line endings, and the last two characters and padding at most (they depend on what follows).
      expect(block.replace(/\*\*\*|\r|\n/g, '').length).toBeLessThanOrEqual(4);
    }
  });

  it('does not hand the child its own token, and masks the token wherever the child found it', async () => {
    const r = await run(
      ['--env', 'CANARY=secret:canary'],
      `console.log('inherited ' + (process.env.NEMBL_TOKEN ?? 'none')); console.log('printed ' + ${JSON.stringify(token)});`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('inherited none');
    expect(r.stdout).toContain('printed ***');
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it('passes output through untouched with --no-mask', async () => {
    const r = await run(['--no-mask', '--env', 'CANARY=secret:canary'], 'console.log("raw:", process.env.CANARY)');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`raw: ${CANARY}\n`);
  });

  it('does not mask values shorter than 4 characters, and says so once on stderr', async () => {
    const r = await run(
      ['--env', 'PIN=secret:short-pin', '--env', 'CANARY=secret:canary'],
      'console.log(process.env.PIN, process.env.CANARY)',
    );
    expect(r.stdout).toBe('abc ***\n');
    expect(r.stderr.match(/shorter than 4 characters/g)).toHaveLength(1);
  });

  it('resolves a workflow phase through a new run, with the phase’s literals', async () => {
    const w = await admin.post('/api/v1/workflows', {
      name: 'deploy',
      phases: [{ name: 'Deploy to Staging', env: { DEPLOY_TOKEN: 'secret:canary', REGION: 'eu-west-1' } }],
    });
    expect(w.status).toBe(201);
    const r = await run(
      ['--workflow', 'deploy', '--phase', 'Deploy to Staging'],
      'console.log(process.env.REGION, process.env.DEPLOY_TOKEN.length, process.env.DEPLOY_TOKEN)',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`eu-west-1 ${CANARY.length} ***\n`);

    const started = await ApiClient.withToken(t.url, token).post(`/api/v1/workflows/${w.body.workflow.id}/runs`);
    const byRun = await run(
      ['--run', started.body.run.id, '--phase', 'Deploy to Staging'],
      'console.log(process.env.DEPLOY_TOKEN === ' + JSON.stringify(CANARY) + ')',
    );
    expect(byRun.stdout).toBe('true\n');
    expect((await run(['--workflow', 'nope', '--phase', 'x'], 'console.log(1)')).code).toBe(4);
  });
});

describe('nembl run passes on the child’s fate', () => {
  it.each([
    [0, 'process.exit(0)'],
    [1, 'process.exit(1)'],
    [42, 'process.exit(42)'],
    [137, 'process.kill(process.pid, "SIGKILL")'],
  ])('exits %i', async (code, script) => {
    const r = await run(['--env', 'CANARY=secret:canary'], script);
    expect(r.code).toBe(code);
  });

  it('forwards SIGTERM to the child, which exits cleanly', async () => {
    const cli = startCli(
      [
        'run',
        '--env',
        'CANARY=secret:canary',
        '--',
        ...nodeChild(`
      process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(0); });
      console.log('ready'); setInterval(() => {}, 1000);`),
      ],
      { env: cliEnv() },
    );
    await cli.printed('ready');
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.stdout).toContain('child got SIGTERM');
    expect(r.code).toBe(0);
  });

  it.each(['SIGUSR1', 'SIGQUIT', 'SIGINT'] as const)('forwards %s to a child that traps it', async (sig) => {
    const script = `trap 'echo got ${sig}; exit 0' ${sig.slice(3)}; echo ready; while :; do sleep 0.05; done`;
    const cli = startCli(['run', '--env', 'CANARY=secret:canary', '--', 'sh', '-c', script], { env: cliEnv() });
    await cli.printed('ready');
    cli.child.kill(sig);
    const r = await cli.done;
    expect(r.stdout).toContain(`got ${sig}`);
    expect(r.code).toBe(0);
  });

  it('passes a Ctrl-C typed in a terminal on once: the child gets one SIGINT, not two', async () => {
    // `script` runs nembl on a pseudo-terminal; a ^C typed into it signals the terminal's foreground
    // process group (nembl and the child), as the key does.
    const childScript = join(scratch, 'count-sigint.js');
    writeFileSync(
      childScript,
      `let n = 0;
      process.on('SIGINT', () => { if (n++ === 0) setTimeout(() => { console.log('SIGINTs: ' + n); process.exit(0); }, 500); });
      console.log('ready'); setInterval(() => {}, 1000);`,
    );
    const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const argv = [
      process.execPath,
      BUNDLE,
      'run',
      '--env',
      'CANARY=secret:canary',
      '--',
      process.execPath,
      childScript,
    ];
    // exec: the shell `script` starts must not stay in the process group (it would take the ^C too).
    const command = `exec ${argv.map(quote).join(' ')}`;
    const term = spawn('script', ['-qfec', command, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SHELL: '/bin/sh', ...cliEnv() },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    term.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => term.once('close', (code) => r(code)));
    await expect.poll(() => out, { timeout: 15_000 }).toContain('ready');
    term.stdin.write('\x03');
    expect(await exited).toBe(0);
    expect(out).toMatch(/SIGINTs: 1\r?\n/);
  });

  it('works as PID 1 (as in a container): SIGTERM to it reaches the child', async () => {
    // A fresh PID namespace makes nembl its PID 1, which gets no default signal handling from the kernel.
    const ns = spawn(
      'unshare',
      [
        '--pid',
        '--fork',
        '--kill-child',
        process.execPath,
        BUNDLE,
        'run',
        '--env',
        'CANARY=secret:canary',
        '--',
        ...nodeChild(`
      process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(0); });
      console.log('ready'); setInterval(() => {}, 1000);`),
      ],
      { env: { PATH: process.env.PATH ?? '', ...cliEnv() }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    ns.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((r) => ns.once('close', (code) => r(code)));
    await expect.poll(() => out, { timeout: 15_000 }).toContain('ready');
    const pid1 = Number(readFileSync(`/proc/${ns.pid}/task/${ns.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    expect(readFileSync(`/proc/${pid1}/status`, 'utf8')).toMatch(/^NSpid:\s+\d+\s+1$/m);
    process.kill(pid1, 'SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('child got SIGTERM');
  });

  // Like `cat | head`: nembl stops reading, and the child's next write fails and ends it. The
  // output is the canary's first characters over and over, so every read ends in a possible
  // partial match, held back: the relay must not write that rest to the broken pipe at the end
  // (process.stdout stays open after a failed write), nor leave an error unhandled.
  it('ends when its reader goes away (`nembl run … | head`), with the child’s exit code and no crash', async () => {
    const file = join(scratch, 'partial-matches.txt');
    writeFileSync(file, `${'y'.repeat(97)}${CANARY.slice(0, 3)}`.repeat(200_000));
    const cli = startCli(['run', '--env', 'CANARY=secret:canary', '--', 'cat', file], { env: cliEnv() });
    await expect.poll(() => cli.output().stdout.length, { timeout: 15_000 }).toBeGreaterThan(1000);
    cli.child.stdout!.destroy();
    const r = await cli.done;
    // cat's write fails with ECONNRESET (1; child_process pipes are sockets) or EPIPE (SIGPIPE: 128 + 13).
    expect([1, 128 + 13]).toContain(r.code);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|node:/);
  });

  // (Not SIGUSR1 here: a Node child takes that as "start the inspector".)
  it.each([
    ['SIGUSR2', 12],
    ['SIGHUP', 1],
  ] as const)('forwards %s too, and returns 128 + the signal when the child dies of it', async (sig, n) => {
    const cli = startCli(
      [
        'run',
        '--env',
        'CANARY=secret:canary',
        '--',
        ...nodeChild(`console.log('ready'); setInterval(() => {}, 1000);`),
      ],
      { env: cliEnv() },
    );
    await cli.printed('ready');
    cli.child.kill(sig);
    expect((await cli.done).code).toBe(128 + n);
  });
});

describe('nembl run --watch', () => {
  it('restarts the child once after a rotation, and the new child sees the new value', async () => {
    const fingerprint = (v: string) => createHash('sha256').update(v).digest('hex').slice(0, 16);
    const cli = watching(
      ['--env', 'ROTATING=secret:rotating'],
      `
        const v = process.env.ROTATING;
        console.log('started ' + require('node:crypto').createHash('sha256').update(v).digest('hex').slice(0, 16));
        process.on('SIGTERM', () => { console.log('stopping'); process.exit(0); });
        setInterval(() => {}, 1000);`,
    );
    await cli.printed(`started ${fingerprint('rotating-value-one')}`);
    expect((await admin.put('/api/v1/secrets/rotating/value', { value: 'rotating-value-two' })).status).toBe(200);
    await cli.printed(`started ${fingerprint('rotating-value-two')}`);
    // Several more polls find nothing new: no second restart.
    await new Promise((r) => setTimeout(r, 1500));
    expect(cli.output().stdout.match(/^started /gm)).toHaveLength(2);
    expect(cli.output().stdout).toContain('stopping');
    expect(cli.output().stderr).toContain('secret rotating has a new version');
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(0);
  });
});

describe('nembl run --watch, asked to stop while it restarts', () => {
  it('starts no new child when SIGTERM comes during the restart’s grace, and exits with the old child’s code', async () => {
    expect((await admin.post('/api/v1/secrets', { name: 'rotating-stop', value: 'stop-value-one' })).status).toBe(201);
    const cli = watching(
      ['--env', 'ROTATING=secret:rotating-stop'],
      `
        console.log('started');
        process.on('SIGTERM', () => { console.log('stopping'); setTimeout(() => process.exit(7), 1500); });
        setInterval(() => {}, 1000);`,
    );
    await cli.printed('started');
    expect((await admin.put('/api/v1/secrets/rotating-stop/value', { value: 'stop-value-two' })).status).toBe(200);
    await cli.printed('stopping');
    cli.child.kill('SIGTERM');
    const r = await cli.done;
    expect(r.code).toBe(7);
    expect(r.stdout.match(/^started$/gm)).toHaveLength(1);
  });
});

describe('nembl run --watch, asked to stop before a rotation', () => {
  // The child drains for longer than the restart grace (10 s): a restart then would cut it short.
  it('restarts nothing after SIGTERM, however long the child takes to stop, and exits with its code', async () => {
    expect((await admin.post('/api/v1/secrets', { name: 'rotating-late', value: 'late-value-one' })).status).toBe(201);
    const cli = watching(
      ['--env', 'ROTATING=secret:rotating-late'],
      `
        console.log('started');
        process.on('SIGTERM', () => { console.log('draining'); setTimeout(() => process.exit(3), 12000); });
        setInterval(() => {}, 1000);`,
    );
    await cli.printed('started');
    cli.child.kill('SIGTERM');
    await cli.printed('draining');
    expect((await admin.put('/api/v1/secrets/rotating-late/value', { value: 'late-value-two' })).status).toBe(200);
    const r = await cli.done;
    expect(r.code).toBe(3);
    expect(r.stdout.match(/^started$/gm)).toHaveLength(1);
    expect(r.stderr).not.toContain('restarting');
  }, 40_000);
});

describe('nembl run when the system cannot start the command', () => {
  // 34 values of 64,000 bytes: an environment over Linux's 2 MiB limit for exec, so spawn throws E2BIG.
  it('exits 126 with a message (no stack) when the environment is too large to exec', async () => {
    const refs: string[] = [];
    for (let i = 0; i < 34; i++) {
      const value = `${i}-`.padEnd(64_000, String.fromCharCode(97 + (i % 26)));
      expect((await admin.post('/api/v1/secrets', { name: `huge-${i}`, value })).status).toBe(201);
      refs.push('--env', `HUGE_${i}=secret:huge-${i}`);
    }
    const r = await runCli(['run', ...refs, '--', 'true'], { env: cliEnv() });
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('cannot start true: E2BIG');
    expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  }, 60_000);

  it('ends with 126 rather than hang when a --watch restart cannot start the command', async () => {
    const refs: string[] = [];
    for (let i = 0; i < 34; i++) {
      expect((await admin.post('/api/v1/secrets', { name: `grow-${i}`, value: `grow-small-${i}` })).status).toBe(201);
      refs.push('--env', `GROW_${i}=secret:grow-${i}`);
    }
    const cli = watching(
      refs,
      `
        console.log('started');
        process.on('SIGTERM', () => process.exit(0));
        setInterval(() => {}, 1000);`,
    );
    await cli.printed('started');
    for (let i = 0; i < 34; i++) {
      const value = `${i}-`.padEnd(64_000, String.fromCharCode(97 + (i % 26)));
      expect((await admin.put(`/api/v1/secrets/grow-${i}/value`, { value })).status).toBe(200);
    }
    const r = await cli.done;
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('E2BIG');
  }, 90_000);
});

describe('nembl run --watch and a child that reloads on SIGHUP', () => {
  it('forwards SIGHUP and still restarts the child on the next new version', async () => {
    expect((await admin.post('/api/v1/secrets', { name: 'rotating-hup', value: 'hup-value-one' })).status).toBe(201);
    const cli = watching(
      ['--env', 'ROTATING=secret:rotating-hup'],
      `
        console.log('started ' + process.env.ROTATING);
        process.on('SIGHUP', () => console.log('reloaded'));
        process.on('SIGTERM', () => process.exit(0));
        setInterval(() => {}, 1000);`,
    );
    await cli.printed('started ***');
    cli.child.kill('SIGHUP');
    await cli.printed('reloaded');
    expect((await admin.put('/api/v1/secrets/rotating-hup/value', { value: 'hup-value-two' })).status).toBe(200);
    // The new value is masked in the output: the restart shows as a second "started".
    await expect.poll(() => cli.output().stdout.match(/^started /gm)?.length ?? 0, { timeout: 15_000 }).toBe(2);
    cli.child.kill('SIGTERM');
    expect((await cli.done).code).toBe(0);
  });
});

describe('nembl run fails before starting anything', () => {
  const marker = () => join(scratch, `started-${Math.random().toString(36).slice(2)}`);
  const touch = (file: string) => `require('node:fs').writeFileSync(${JSON.stringify(file)}, 'x')`;

  it('exits 4 naming a missing secret', async () => {
    const file = marker();
    const r = await run(['--env', 'X=secret:no-such-secret'], touch(file));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no-such-secret');
    expect(existsSync(file)).toBe(false);
  });

  it('exits 4 naming a secret the token may not read the value of', async () => {
    const file = marker();
    const r = await run(['--env', 'X=secret:canary'], touch(file), {
      NEMBL_API_URL: t.url,
      NEMBL_TOKEN: await newToken(['Developer']),
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('canary');
    expect(r.stderr).not.toContain(CANARY);
    expect(existsSync(file)).toBe(false);
  });

  it.each(['http://ci:hunter2-pw@127.0.0.1:9', 'http://ci:hunter2#pw@127.0.0.1:9', 'http://ci:hunter2?pw@127.0.0.1:9'])(
    'exits without starting anything and without repeating the password of %s',
    async (url) => {
      const file = marker();
      const r = await run(['--env', 'X=secret:canary'], touch(file), { NEMBL_API_URL: url, NEMBL_TOKEN: token });
      expect([2, 5]).toContain(r.code);
      expect(r.stderr).toContain('127.0.0.1:9');
      expect(r.stderr).not.toContain('hunter2');
      expect(existsSync(file)).toBe(false);
    },
  );

  /** A server in front of (or instead of) the API that answers every request with `status` and `body`. */
  const answering = async (status: number, type: string, body: string) => {
    const server = createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  };

  it.each([
    [
      'a gateway that cannot reach the API (502)',
      502,
      'text/html',
      '<html>Bad Gateway</html>',
      'unavailable (HTTP 502)',
    ],
    ['a gateway timeout (504)', 504, 'text/plain', 'timeout', 'unavailable (HTTP 504)'],
    ['a server that is not the API (200, HTML)', 200, 'text/html', '<html>hello</html>', 'not the Nembl API'],
    ['a server that answers 200 with no body', 200, 'application/json', '', 'not the Nembl API'],
    [
      'a server that answers 200 with JSON of another shape',
      200,
      'application/json',
      '{"env":{"X":null},"versions":{}}',
      'does not send',
    ],
  ])('exits 5 for %s, with a message and no stack', async (_n, status, type, body, says) => {
    const server = await answering(status, type, body);
    try {
      const file = marker();
      const r = await run(['--env', 'X=secret:canary'], touch(file), { NEMBL_API_URL: server.url, NEMBL_TOKEN: token });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain(says);
      expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
      expect(existsSync(file)).toBe(false);
    } finally {
      server.close();
    }
  });

  it('takes a token with a trailing line ending, and exits 3 for one with a space inside', async () => {
    const ok = await run(['--env', 'X=secret:canary'], 'process.exit(0)', {
      NEMBL_API_URL: t.url,
      NEMBL_TOKEN: `${token}\r\n`,
    });
    expect(ok.code, ok.stderr).toBe(0);
    const file = marker();
    const bad = await run(['--env', 'X=secret:canary'], touch(file), {
      NEMBL_API_URL: t.url,
      NEMBL_TOKEN: `${token.slice(0, 8)} ${token.slice(8)}`,
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('malformed');
    expect(bad.stderr).not.toContain(token.slice(8));
    expect(existsSync(file)).toBe(false);
  });

  it.each([
    ['no command', ['run', '--env', 'X=secret:canary']],
    ['nothing to inject', ['run', '--', 'true']],
    ['a malformed reference', ['run', '--env', 'X=secret:Bad_Name', '--', 'true']],
    ['a lower-case variable', ['run', '--env', 'x=1', '--', 'true']],
    ['an unknown flag', ['run', '--bogus', '--', 'true']],
    ['--phase without a workflow', ['run', '--phase', 'p', '--', 'true']],
    ['--watch with --run', ['run', '--watch', '--run', 'r', '--phase', 'p', '--', 'true']],
    [
      'a --watch-interval beyond a day (the timer would overflow)',
      ['run', '--watch', '--watch-interval', '3000000', '--env', 'X=secret:canary', '--', 'true'],
    ],
    ['a --watch-interval of 0', ['run', '--watch', '--watch-interval', '0', '--env', 'X=secret:canary', '--', 'true']],
    [
      'a --watch-interval under a second',
      ['run', '--watch', '--watch-interval', '0.000001', '--env', 'X=secret:canary', '--', 'true'],
    ],
    [
      'a --watch-interval in hex',
      ['run', '--watch', '--watch-interval', '0x10', '--env', 'X=secret:canary', '--', 'true'],
    ],
  ])('exits 2 for %s', async (_n, args) => {
    expect((await runCli(args, { env: cliEnv() })).code).toBe(2);
  });

  // Last: moving the API's clock on expires every token issued so far.
  it('exits 3 with an expired token', async () => {
    const file = marker();
    const expiring = await newToken(['Runner'], { expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    t.clock.advance(2 * 3_600_000);
    const r = await run(['--env', 'X=secret:canary'], touch(file), { NEMBL_API_URL: t.url, NEMBL_TOKEN: expiring });
    expect(r.code).toBe(3);
    expect(existsSync(file)).toBe(false);
  });
});
