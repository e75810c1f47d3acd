// Contract sentences of /work/shared/contract/cli.md that the other CLI test files do not cover:
// the config directory's mode, --watch polling only versions, the restart grace, --no-mask keeping
// the terminal, no echo on a terminal, workflow-phase failures, --env over a phase's variable,
// the delete review step, the list columns and filters, groups in whoami, the default URL, and no
// value on disk. Everything runs the built bundle against a real API, worker, Postgres and Redis.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from '../../api/test/harness.js';
import { BUNDLE, nodeChild, runCli, startCli, tempConfigHome } from './cli-harness.js';

let t: TestApi;
let admin: ApiClient;
/** A Runner token (what `nembl run` is for) and an Admin token (secrets writes by a machine). */
let runner: string;
let adminToken: string;
const scratch = mkdtempSync(join(tmpdir(), 'nembl-contract-'));
const homes: Array<ReturnType<typeof tempConfigHome>> = [];
const home = () => {
  const h = tempConfigHome();
  homes.push(h);
  return h.dir;
};

const newToken = async (roles: string[], extra: Record<string, unknown> = {}) => {
  const res = await admin.post('/api/v1/tokens', { name: `t-${Math.random().toString(36).slice(2)}`, roles, ...extra });
  expect(res.status, res.text).toBe(201);
  return res.body.token as string;
};

const createSecret = async (name: string, value: string, extra: Record<string, unknown> = {}) => {
  const res = await admin.post('/api/v1/secrets', { name, value, ...extra });
  expect(res.status, res.text).toBe(201);
};

const createWorkflow = async (name: string, phases: Array<{ name: string; env: Record<string, string> }>) => {
  const res = await admin.post('/api/v1/workflows', { name, phases });
  expect(res.status, res.text).toBe(201);
  return res.body.workflow as { id: string };
};

/** The value a machine gets for `name` now (checks what a command stored, without printing it). */
const valueOf = async (name: string) => {
  const res = await ApiClient.withToken(t.url, runner).post('/api/v1/env/resolve', { env: { V: `secret:${name}` } });
  expect(res.status, res.text).toBe(200);
  return res.body.env.V as string;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  t = await startTestApi();
  admin = new ApiClient(t.url);
  await admin.signup({ companyName: 'Contract Co' });
  runner = await newToken(['Runner']);
  adminToken = await newToken(['Admin']);
}, 60_000);
afterAll(async () => {
  for (const h of homes) h.cleanup();
  rmSync(scratch, { recursive: true, force: true });
  await t?.close();
});

const runnerEnv = () => ({ NEMBL_API_URL: t.url, NEMBL_TOKEN: runner });
const adminEnv = () => ({ NEMBL_API_URL: t.url, NEMBL_TOKEN: adminToken });

// ---------------------------------------------------------------------------------------------
// A real terminal: util-linux `script` runs nembl on a pseudo-terminal; what we write to its stdin
// is what a user types, and its stdout is everything the terminal shows (echo included).
const scriptPresent = spawnSync('script', ['--version'], { encoding: 'utf8' });
const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

const inTerminal = (args: string[], env: Record<string, string>) => {
  if (scriptPresent.status !== 0)
    throw new Error('util-linux `script` is needed for the terminal tests (apt-get install bsdutils), and is missing');
  const command = `exec ${[process.execPath, BUNDLE, ...args].map(quote).join(' ')}`;
  const term = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SHELL: '/bin/sh', TERM: 'xterm', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  term.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  term.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const done = new Promise<number | null>((r) => term.once('close', (code) => r(code)));
  return {
    output: () => out,
    /** Types `text` once `prompt` is on the screen (and the prompt had a moment to turn echo off). */
    typeAfter: async (prompt: string, text: string | Buffer) => {
      await expect.poll(() => out, { timeout: 15_000 }).toContain(prompt);
      await sleep(300);
      term.stdin.write(text);
    },
    done: async () => {
      const code = await done;
      term.stdin.end();
      return { code, out };
    },
  };
};

describe('the config file', () => {
  it('makes an existing, wider config directory 0700 and the file 0600 on `login --token`', async () => {
    const configHome = home();
    const dir = join(configHome, 'nembl');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    writeFileSync(join(dir, 'config.json'), '{}\n');
    chmodSync(join(dir, 'config.json'), 0o666);
    expect(statSync(dir).mode & 0o777).toBe(0o777);

    const r = await runCli(['login', '--token', '--url', t.url], { configHome, input: `${runner}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect((await runCli(['whoami'], { configHome })).code).toBe(0);
  });
});

/** Audit events of `action` on `secret`, repeats collapsed into `count` summed back up. */
const auditCount = async (action: string, secret: string) => {
  const res = await admin.get(`/api/v1/audit?action=${encodeURIComponent(action)}&secret=${secret}&limit=200`);
  expect(res.status, res.text).toBe(200);
  const items = res.body.items as Array<{ count: number; actor: { type: string } }>;
  return items.filter((e) => e.actor.type === 'token').reduce((n, e) => n + e.count, 0);
};

describe('nembl run --watch', () => {
  it('polls versions only: several polls, and the value read once (the first resolution)', async () => {
    await createSecret('watched', 'watched-value-one');
    const cli = startCli(
      [
        'run',
        '--watch',
        '--watch-interval',
        '1',
        '--env',
        'W=secret:watched',
        '--',
        ...nodeChild(`console.log('ready'); setInterval(() => {}, 1000);`),
      ],
      { env: runnerEnv() },
    );
    await cli.printed('ready');
    await sleep(3500);
    cli.child.kill('SIGTERM');
    await cli.done;

    // The log is written by the worker a moment later: wait for the polls (metadata reads) to show.
    await vi.waitFor(
      async () => {
        if ((await auditCount('secrets:read', 'watched')) < 3) throw new Error('polls not in the audit log yet');
        if ((await auditCount('secrets:read_value', 'watched')) < 1) throw new Error('value read not in the log yet');
      },
      { timeout: 15_000, interval: 200 },
    );
    await sleep(1500);
    expect(await auditCount('secrets:read', 'watched')).toBeGreaterThanOrEqual(3);
    expect(await auditCount('secrets:read_value', 'watched')).toBe(1);
  });

  it('with the default interval, a child that ignores SIGTERM gets SIGTERM within a poll of the rotation and SIGKILL ~10 s later, then the new child starts', async () => {
    await createSecret('graceful', 'graceful-value-one');
    const events = join(scratch, 'grace-events.jsonl');
    const child = `
        const fs = require('node:fs');
        const log = (ev) => fs.appendFileSync(${JSON.stringify(events)}, JSON.stringify({ ev, pid: process.pid, at: Date.now(), len: process.env.G.length }) + '\\n');
        process.on('SIGTERM', () => log('term'));
        log('start');
        setInterval(() => {}, 1000);`;
    const read = () =>
      existsSync(events)
        ? readFileSync(events, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { ev: string; pid: number; at: number; len: number })
        : [];
    const cli = startCli(['run', '--watch', '--env', 'G=secret:graceful', '--', ...nodeChild(child)], {
      env: runnerEnv(),
    });
    await expect.poll(() => read().filter((e) => e.ev === 'start').length, { timeout: 15_000 }).toBe(1);
    const rotate = await admin.put('/api/v1/secrets/graceful/value', { value: 'graceful-value-two-longer' });
    expect(rotate.status, rotate.text).toBe(200);
    const rotatedAt = Date.now();

    await expect.poll(() => read().filter((e) => e.ev === 'start').length, { timeout: 40_000, interval: 200 }).toBe(2);
    const [first, second] = read().filter((e) => e.ev === 'start');
    const terms = read().filter((e) => e.ev === 'term');
    expect(terms).toHaveLength(1);
    const term = terms[0]!;
    expect(term.pid).toBe(first!.pid);
    expect(first!.len).toBe('graceful-value-one'.length);
    expect(second!.len).toBe('graceful-value-two-longer'.length);
    // Default poll every 10 s: SIGTERM comes within one interval (plus slack) of the rotation.
    expect(term.at - rotatedAt).toBeGreaterThanOrEqual(0);
    expect(term.at - rotatedAt).toBeLessThanOrEqual(13_000);
    // The old child ignored SIGTERM: 10 s grace, then SIGKILL, then the new child.
    expect(second!.at - term.at).toBeGreaterThanOrEqual(9_000);
    expect(second!.at - term.at).toBeLessThanOrEqual(16_000);
    expect(() => process.kill(first!.pid, 0)).toThrow();
    expect(cli.output().stderr).toContain('secret graceful has a new version');

    // The new child ignores SIGTERM too: end it for good; nembl passes on how it died.
    process.kill(second!.pid, 'SIGKILL');
    expect((await cli.done).code).toBe(128 + 9);
  }, 60_000);
});

describe('terminals', () => {
  it('--no-mask keeps stdout a terminal; masking puts a pipe in between', async () => {
    await createSecret('tty-probe', 'tty-probe-value');
    const probe = ['sh', '-c', '[ -t 1 ] && echo STDOUT_TTY; echo probe-done'];
    const plain = inTerminal(['run', '--no-mask', '--env', 'V=secret:tty-probe', '--', ...probe], runnerEnv());
    const p = await plain.done();
    expect(p.code, p.out).toBe(0);
    expect(p.out).toContain('probe-done');
    expect(p.out).toContain('STDOUT_TTY');

    const masked = inTerminal(['run', '--env', 'V=secret:tty-probe', '--', ...probe], runnerEnv());
    const m = await masked.done();
    expect(m.code, m.out).toBe(0);
    expect(m.out).toContain('probe-done');
    expect(m.out).not.toContain('STDOUT_TTY');
  });

  it('`secrets create` refuses bytes typed on the terminal that are not UTF-8, and stores nothing', async () => {
    const term = inTerminal(['secrets', 'create', 'typed-latin1'], adminEnv());
    await term.typeAfter('not echoed', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x76, 0x61, 0x6c, 0x0d]));
    const r = await term.done();
    expect(r.code, r.out).toBe(2);
    expect(r.out).toContain('not UTF-8');
    expect((await admin.get('/api/v1/secrets/typed-latin1')).status).toBe(404);
  });

  it('`secrets create` reads a value typed on the terminal without echoing it', async () => {
    const value = 'zq-canary-typed-51c2';
    const term = inTerminal(['secrets', 'create', 'typed-secret'], adminEnv());
    await term.typeAfter('not echoed', `${value}\r`);
    const r = await term.done();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('created typed-secret (version 1)');
    expect(r.out).not.toContain(value);
    expect(r.out).not.toContain(value.slice(0, 6));
    expect(await valueOf('typed-secret')).toBe(value);
  });

  it('`secrets delete` of a bound secret lists the bound resources, then asks for the name: a wrong one deletes nothing', async () => {
    await createSecret('bound-del', 'bound-del-value');
    await createWorkflow('uses-bound-del', [{ name: 'deploy', env: { T: 'secret:bound-del' } }]);

    const wrong = inTerminal(['secrets', 'delete', 'bound-del'], adminEnv());
    await wrong.typeAfter('Type bound-del', 'bound-dell\r');
    const w = await wrong.done();
    expect(w.code).not.toBe(0);
    expect(w.code).not.toBeNull();
    const listed = w.out.indexOf('uses-bound-del');
    expect(listed, w.out).toBeGreaterThanOrEqual(0);
    expect(listed).toBeLessThan(w.out.indexOf('Type bound-del'));
    expect((await admin.get('/api/v1/secrets/bound-del')).status).toBe(200);

    const right = inTerminal(['secrets', 'delete', 'bound-del'], adminEnv());
    await right.typeAfter('Type bound-del', 'bound-del\r');
    const ok = await right.done();
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('uses-bound-del');
    expect(ok.out).toContain('deleted bound-del');
    expect((await admin.get('/api/v1/secrets/bound-del')).status).toBe(404);
  });

  it('`secrets delete --confirm` with piped stdin lists the bound resources too', async () => {
    await createSecret('bound-del-2', 'bound-del-2-value');
    await createWorkflow('uses-bound-del-2', [{ name: 'deploy', env: { T: 'secret:bound-del-2' } }]);
    const r = await runCli(['secrets', 'delete', 'bound-del-2', '--confirm', 'bound-del-2'], { env: adminEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/bound resources:\n.*uses-bound-del-2/);
    expect(r.stdout.indexOf('uses-bound-del-2')).toBeLessThan(r.stdout.indexOf('deleted bound-del-2'));
    expect((await admin.get('/api/v1/secrets/bound-del-2')).status).toBe(404);
  });
});

describe('nembl run with a workflow phase', () => {
  const touch = (file: string) => `require('node:fs').writeFileSync(${JSON.stringify(file)}, 'x')`;

  it('exits 4 naming the phase’s missing secret, and starts nothing', async () => {
    await createSecret('phase-gone', 'phase-gone-value');
    await createWorkflow('loses-secret', [{ name: 'Ship It', env: { TOKEN: 'secret:phase-gone', REGION: 'eu' } }]);
    const del = await admin.delete('/api/v1/secrets/phase-gone?confirm=phase-gone');
    expect([200, 202]).toContain(del.status);
    await vi.waitFor(async () => expect((await admin.get('/api/v1/secrets/phase-gone')).status).toBe(404), {
      timeout: 15_000,
    });
    const file = join(scratch, 'phase-started');
    const r = await runCli(
      ['run', '--workflow', 'loses-secret', '--phase', 'Ship It', '--', ...nodeChild(touch(file))],
      {
        env: runnerEnv(),
      },
    );
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('phase-gone');
    expect(existsSync(file)).toBe(false);
  });

  it('lets --env NAME=… win over the phase’s variable of the same NAME (literal and secret)', async () => {
    await createSecret('phase-a', 'phase-a-value');
    await createSecret('phase-b', 'phase-b-value');
    await createWorkflow('overridden', [{ name: 'run', env: { TOKEN: 'secret:phase-a', REGION: 'eu-west-1' } }]);
    const r = await runCli(
      [
        'run',
        '--workflow',
        'overridden',
        '--phase',
        'run',
        '--env',
        'REGION=us-east-1',
        '--env',
        'TOKEN=secret:phase-b',
        '--',
        ...nodeChild(`console.log(process.env.REGION, process.env.TOKEN === 'phase-' + 'b-value')`),
      ],
      { env: runnerEnv() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('us-east-1 true\n');
  });
});

describe('nembl secrets list', () => {
  const rows = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => l.length > 0)
      .slice(1)
      .map((l) => l.split(/ {2,}/));
  const names = (stdout: string) => rows(stdout).map((r) => r[0]);

  it('shows real BOUND and DUE values, and filters by --type and --due', async () => {
    await createSecret('lst-bound', 'lst-bound-value', { type: 'api_key' });
    await createWorkflow('lst-binder', [
      { name: 'one', env: { A: 'secret:lst-bound' } },
      { name: 'two', env: { B: 'secret:lst-bound' } },
    ]);
    await createSecret('lst-soon', 'lst-soon-value', { type: 'password', reminder: { intervalDays: 7 } });
    await createSecret('lst-later', 'lst-later-value', { type: 'password', reminder: { intervalDays: 90 } });

    const apiBound = (await admin.get('/api/v1/secrets/lst-bound')).body.secret.boundResources as unknown[];
    expect(apiBound.length).toBeGreaterThan(0);
    const soonDue = ((await admin.get('/api/v1/secrets/lst-soon')).body.secret.reminder.nextDueAt as string).slice(
      0,
      10,
    );

    const all = await runCli(['secrets', 'list'], { env: adminEnv() });
    expect(all.code, all.stderr).toBe(0);
    const byName = new Map(rows(all.stdout).map((r) => [r[0], r]));
    // NAME TYPE TAGS LAST-ROTATED BOUND DUE
    expect(byName.get('lst-bound')?.[4]).toBe(String(apiBound.length));
    expect(byName.get('lst-bound')?.[5]).toBe('-');
    expect(byName.get('lst-soon')?.[4]).toBe('0');
    expect(byName.get('lst-soon')?.[5]).toBe(soonDue);
    expect(byName.get('lst-later')?.[5]).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const passwords = names((await runCli(['secrets', 'list', '--type', 'password'], { env: adminEnv() })).stdout);
    expect(passwords).toContain('lst-soon');
    expect(passwords).toContain('lst-later');
    expect(passwords).not.toContain('lst-bound');

    const due = names((await runCli(['secrets', 'list', '--due', '30d'], { env: adminEnv() })).stdout);
    expect(due).toContain('lst-soon');
    expect(due).not.toContain('lst-later');
    expect(due).not.toContain('lst-bound');

    const both = names(
      (await runCli(['secrets', 'list', '--type', 'api_key', '--due', '30d'], { env: adminEnv() })).stdout,
    );
    expect(both).not.toContain('lst-soon');
    expect(both).not.toContain('lst-bound');
  });
});

describe('nembl whoami', () => {
  it('prints the groups of the principal', async () => {
    const grouped = await newToken(['Runner'], { name: 'grouped', groups: ['ops', 'deployers'] });
    const r = await runCli(['whoami'], { env: { NEMBL_API_URL: t.url, NEMBL_TOKEN: grouped } });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('groups:'));
    expect(line).toBeDefined();
    expect(line).toContain('ops');
    expect(line).toContain('deployers');
    const json = JSON.parse(
      (await runCli(['whoami', '--json'], { env: { NEMBL_API_URL: t.url, NEMBL_TOKEN: grouped } })).stdout,
    );
    expect([...json.groups].sort()).toEqual(['deployers', 'ops']);

    const none = await runCli(['whoami'], { env: runnerEnv() });
    expect(none.stdout).toMatch(/^groups: +-$/m);
  });
});

describe('the default API URL', () => {
  const listening = (host: string) =>
    new Promise<boolean>((resolve) => {
      const s = connect({ host, port: 8080 });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });

  it('is http://localhost:8080 with no NEMBL_API_URL and no config file: exit 5 naming it', async () => {
    for (const host of ['127.0.0.1', '::1'])
      if (await listening(host))
        throw new Error(
          `something listens on ${host}:8080; this test needs that port free to see nembl fail to reach it`,
        );
    const fresh = mkdtempSync(join(scratch, 'fresh-'));
    const r = await runCli(['whoami'], {
      env: { HOME: fresh, XDG_CONFIG_HOME: join(fresh, 'xdg'), NEMBL_TOKEN: runner },
    });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('localhost:8080');
  });
});

describe('no value on disk', () => {
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = join(dir, e.name);
      if (e.isDirectory()) return filesUnder(p);
      return e.isFile() ? [p] : [];
    });

  it('create, set and run leave no file under HOME, XDG_CONFIG_HOME or TMPDIR containing the value', async () => {
    const root = mkdtempSync(join(scratch, 'disk-'));
    const dirs = { HOME: join(root, 'home'), XDG_CONFIG_HOME: join(root, 'xdg'), TMPDIR: join(root, 'tmp') };
    for (const d of Object.values(dirs)) mkdirSync(d);
    const env = { ...dirs, NEMBL_API_URL: t.url };
    const first = 'disk-canary-first-9e1f';
    const second = 'disk-canary-second-4d7a';

    expect((await runCli(['login', '--token'], { env, input: `${adminToken}\n` })).code).toBe(0);
    const created = await runCli(['secrets', 'create', 'on-disk'], { env, input: `${first}\n` });
    expect(created.code, created.stderr).toBe(0);
    const set = await runCli(['secrets', 'set', 'on-disk'], { env, input: second });
    expect(set.code, set.stderr).toBe(0);
    const run = await runCli(['run', '--env', 'V=secret:on-disk', '--', 'sh', '-c', 'echo "$V" >/dev/null; echo ran'], {
      env,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('ran\n');
    expect(await valueOf('on-disk')).toBe(second);

    const files = filesUnder(root);
    expect(files).toContain(join(dirs.XDG_CONFIG_HOME, 'nembl', 'config.json'));
    for (const f of files) {
      const text = readFileSync(f).toString('latin1');
      expect(text, f).not.toContain(first);
      expect(text, f).not.toContain(second);
    }
  });
});
