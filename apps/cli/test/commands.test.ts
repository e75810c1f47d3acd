import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from '../../api/test/harness.js';
import { BUNDLE, runCli, tempConfigHome } from './cli-harness.js';

const VALUE = 'cli-canary-value-3b9d';

let t: TestApi;
let admin: ApiClient;
let account: { email: string; password: string };
const homes: Array<ReturnType<typeof tempConfigHome>> = [];
const home = () => {
  const h = tempConfigHome();
  homes.push(h);
  return h.dir;
};

beforeAll(async () => {
  t = await startTestApi();
  admin = new ApiClient(t.url);
  account = await admin.signup({ companyName: 'Cli Co' });
}, 60_000);
afterAll(async () => {
  for (const h of homes) h.cleanup();
  await t?.close();
});

/** Logs in with email and password on stdin, as a script would; returns the config home. */
const loggedIn = async () => {
  const configHome = home();
  const r = await runCli(['login', '--url', t.url], { configHome, input: `${account.email}\n${account.password}\n` });
  expect(r.code, r.stderr).toBe(0);
  return configHome;
};

const lines = (s: string) => s.split('\n').filter((l) => l.length > 0);

describe('login, whoami and the config file', () => {
  it('logs in with email and password, stores the session 0600 in a 0700 directory, and whoami reads it', async () => {
    const configHome = await loggedIn();
    const dir = join(configHome, 'nembl');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'config.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).not.toContain(account.password);

    const who = await runCli(['whoami'], { configHome });
    expect(who.code).toBe(0);
    expect(who.stdout).toContain('Cli Co');
    expect(who.stdout).toContain(`user ${account.email}`);
    expect(who.stdout).toMatch(/roles: +Admin/);

    const json = await runCli(['whoami', '--json'], { configHome });
    expect(JSON.parse(json.stdout)).toMatchObject({
      company: { name: 'Cli Co' },
      user: { email: account.email },
      roles: ['Admin'],
    });

    expect((await runCli(['logout'], { configHome })).code).toBe(0);
    expect((await runCli(['whoami'], { configHome })).code).toBe(3);
  });

  it('refuses a wrong password with exit 3 and stores nothing', async () => {
    const configHome = home();
    const r = await runCli(['login', '--url', t.url], { configHome, input: `${account.email}\nnot the password\n` });
    expect(r.code, r.stderr).toBe(3);
    expect((await runCli(['whoami'], { configHome })).code).toBe(3);
  });

  it('stores a service token read from stdin, and NEMBL_API_URL / NEMBL_TOKEN win over the file', async () => {
    const token = (await admin.post('/api/v1/tokens', { name: 'ci', roles: ['Runner'] })).body.token as string;
    const configHome = home();
    const login = await runCli(['login', '--token', '--url', t.url], { configHome, input: `${token}\n` });
    expect(login.code, login.stderr).toBe(0);
    expect(statSync(join(configHome, 'nembl', 'config.json')).mode & 0o777).toBe(0o600);
    expect((await runCli(['whoami'], { configHome })).stdout).toContain('token ci');

    // The stored token is for t.url: with NEMBL_API_URL naming another API it is not used, NEMBL_TOKEN is.
    expect(
      (await runCli(['whoami'], { configHome, env: { NEMBL_API_URL: 'http://127.0.0.1:9', NEMBL_TOKEN: token } })).code,
    ).toBe(5);
    const other = (await admin.post('/api/v1/tokens', { name: 'other', roles: ['Viewer'] })).body.token as string;
    expect((await runCli(['whoami'], { configHome, env: { NEMBL_TOKEN: other } })).stdout).toContain('token other');
    expect(
      (await runCli(['login', '--token', '--url', t.url], { configHome: home(), input: 'nbl_not-a-token\n' })).code,
    ).toBe(3);
  });
});

/** A server that records what it was sent (an API the credentials were not stored for). */
const captureServer = async () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((r) => server.close(r)) };
};

/** A server that answers every request with `body` as JSON (something that is not the API). */
const answeringJson = async (body: unknown) => {
  const server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
};

describe('answers of the wrong shape', () => {
  const row = { name: 'a', type: 'custom', status: 'active', tags: {} };
  it.each([
    ['secrets list', ['secrets', 'list'], { items: [{ ...row, lastRotatedAt: 5 }], nextCursor: null }],
    ['secrets show', ['secrets', 'show', 'a'], { secret: { ...row, owners: {} }, versions: [] }],
    ['whoami', ['whoami'], { company: null, roles: [], groups: [] }],
  ])('%s exits 5 with a message, not a stack', async (_n, args, body) => {
    const server = await answeringJson(body);
    try {
      const r = await runCli(args, { env: { NEMBL_API_URL: server.url, NEMBL_TOKEN: 'nmbl_x' } });
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('does not send');
      expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
    } finally {
      server.close();
    }
  });
});

describe('stored credentials stay with their API and their owner', () => {
  it('never sends a stored token or session to another NEMBL_API_URL', async () => {
    const capture = await captureServer();
    try {
      const token = (await admin.post('/api/v1/tokens', { name: 'stays', roles: ['Runner'] })).body.token as string;
      const tokenHome = home();
      expect((await runCli(['login', '--token', '--url', t.url], { configHome: tokenHome, input: token })).code).toBe(
        0,
      );
      const sessionHome = await loggedIn();
      for (const configHome of [tokenHome, sessionHome]) {
        for (const args of [['whoami'], ['secrets', 'list']]) {
          const r = await runCli(args, { configHome, env: { NEMBL_API_URL: `${capture.url}/` } });
          expect(r.code, r.stderr).toBe(3);
          expect(r.stderr).toContain(`the stored login is for ${t.url}`);
        }
      }
      expect(capture.seen).toEqual([]);
      // The same API, spelled with a trailing slash, is the same API.
      expect(
        (await runCli(['whoami'], { configHome: tokenHome, env: { NEMBL_API_URL: `${t.url}/` } })).stdout,
      ).toContain('token stays');
    } finally {
      await capture.close();
    }
  });

  it('refuses a config file or directory others may write, and `login` rewrites it safely', async () => {
    const token = (await admin.post('/api/v1/tokens', { name: 'owned', roles: ['Runner'] })).body.token as string;
    const configHome = home();
    expect((await runCli(['login', '--token', '--url', t.url], { configHome, input: token })).code).toBe(0);
    const dir = join(configHome, 'nembl');
    const file = join(dir, 'config.json');
    for (const [path, mode] of [
      [file, 0o666],
      [dir, 0o777],
    ] as const) {
      chmodSync(path, mode);
      const r = await runCli(['whoami'], { configHome });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('may be written by others');
      expect(r.stderr).not.toContain(token);
      expect((await runCli(['login', '--token', '--url', t.url], { configHome, input: token })).code).toBe(0);
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await runCli(['whoami'], { configHome })).stdout).toContain('token owned');
    }
  });
});

describe('the config file is read from what was checked', () => {
  it('refuses a FIFO planted as the config file, without waiting on it', async () => {
    const configHome = home();
    mkdirSync(join(configHome, 'nembl'), { mode: 0o700 });
    expect(spawnSync('mkfifo', [join(configHome, 'nembl', 'config.json')]).status).toBe(0);
    const started = Date.now();
    const r = await runCli(['whoami'], { configHome });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a regular file');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a config directory inside one others may write, unless that one is sticky (as /tmp)', async () => {
    const token = (await admin.post('/api/v1/tokens', { name: 'parent', roles: ['Runner'] })).body.token as string;
    const configHome = home();
    expect((await runCli(['login', '--token', '--url', t.url], { configHome, input: token })).code).toBe(0);
    chmodSync(configHome, 0o777);
    const read = await runCli(['whoami'], { configHome });
    expect(read.code).toBe(1);
    expect(read.stderr).toContain('who could swap');
    const write = await runCli(['login', '--token', '--url', t.url], { configHome, input: token });
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('who could swap');
    chmodSync(configHome, 0o1777);
    expect((await runCli(['whoami'], { configHome })).stdout).toContain('token parent');
    chmodSync(configHome, 0o700);
  });

  it('does not read the config at all when NEMBL_API_URL and NEMBL_TOKEN are both set', async () => {
    const token = (await admin.post('/api/v1/tokens', { name: 'env-only', roles: ['Runner'] })).body.token as string;
    const configHome = home();
    expect((await runCli(['login', '--token', '--url', t.url], { configHome, input: token })).code).toBe(0);
    chmodSync(join(configHome, 'nembl', 'config.json'), 0o666);
    expect((await runCli(['whoami'], { configHome })).code).toBe(1);
    const r = await runCli(['whoami'], { configHome, env: { NEMBL_API_URL: t.url, NEMBL_TOKEN: token } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('token env-only');
  });

  it('never reads a config from the working directory: a relative XDG_CONFIG_HOME or an empty HOME', async () => {
    const capture = await captureServer();
    try {
      const repo = home();
      for (const base of ['rel', '.config']) {
        mkdirSync(join(repo, base, 'nembl'), { recursive: true, mode: 0o700 });
        writeFileSync(
          join(repo, base, 'nembl', 'config.json'),
          JSON.stringify({ url: capture.url, token: 'nmbl_planted' }),
          {
            mode: 0o600,
          },
        );
      }
      const fresh = home();
      const relative = await runCli(['whoami'], { cwd: repo, env: { XDG_CONFIG_HOME: 'rel', HOME: fresh } });
      expect(relative.code).toBe(3);
      const emptyHome = await runCli(['secrets', 'list'], { cwd: repo, env: { HOME: '' } });
      expect(emptyHome.stderr).not.toContain(capture.url);
      expect(capture.seen).toEqual([]);
    } finally {
      await capture.close();
    }
  });

  it('never repeats a password given in the URL, and refuses a URL that is not http(s)', async () => {
    const token = (await admin.post('/api/v1/tokens', { name: 'userinfo', roles: ['Runner'] })).body.token as string;
    const configHome = home();
    const withPassword = t.url.replace('http://', 'http://alice:S3cr3t-pw@');
    const login = await runCli(['login', '--token', '--url', withPassword], { configHome, input: token });
    expect(login.code, login.stderr).toBe(0);
    const who = await runCli(['whoami'], { configHome });
    const whoJson = await runCli(['whoami', '--json'], { configHome });
    for (const r of [login, who, whoJson]) expect(r.stdout + r.stderr).not.toContain('S3cr3t-pw');
    expect(who.stdout).toContain('token userinfo');
    const odd = await runCli(['whoami'], { env: { NEMBL_API_URL: 'alice:S3cr3t-pw@127.0.0.1:1', NEMBL_TOKEN: token } });
    expect(odd.code).toBe(2);
    expect(odd.stderr).not.toContain('S3cr3t-pw');
  });
});

describe('nembl secrets', () => {
  it('creates from stdin, sets a new version, shows metadata without the value, lists as JSON lines, reminds and deletes', async () => {
    const configHome = await loggedIn();
    const created = await runCli(
      [
        'secrets',
        'create',
        'cli-token',
        '--type',
        'api_key',
        '--description',
        'from the cli',
        '--tag',
        'env=prod',
        '--remind',
        '30',
      ],
      { configHome, input: `${VALUE}\n` },
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('created cli-token (version 1)');
    const file = join(configHome, 'value.txt');
    writeFileSync(file, 'second-value-from-file');
    expect((await runCli(['secrets', 'create', 'cli-other', '--value-file', file], { configHome })).code).toBe(0);

    const set = await runCli(['secrets', 'set', 'cli-token'], { configHome, input: `${VALUE}-v2` });
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('cli-token is now at version 2');

    const show = await runCli(['secrets', 'show', 'cli-token'], { configHome });
    expect(show.stdout).toMatch(/type: +api_key/);
    expect(show.stdout).toMatch(/tags: +env=prod/);
    expect(show.stdout).toMatch(/reminder: +every 30 days/);
    expect(show.stdout).toContain('v2');
    const shown = JSON.parse((await runCli(['secrets', 'show', 'cli-token', '--json'], { configHome })).stdout);
    expect(shown.versions.map((v: { version: number }) => v.version).sort()).toEqual([1, 2]);

    const list = await runCli(['secrets', 'list', '--json'], { configHome });
    const items = lines(list.stdout).map((l) => JSON.parse(l));
    expect(items.map((s) => s.name)).toEqual(['cli-other', 'cli-token']);
    const filtered = lines(
      (await runCli(['secrets', 'list', '--json', '--tag', 'env:prod'], { configHome })).stdout,
    ).map((l) => JSON.parse(l));
    expect(filtered.map((s) => s.name)).toEqual(['cli-token']);
    const table = await runCli(['secrets', 'list'], { configHome });
    expect(lines(table.stdout)[0]).toMatch(/^NAME +TYPE +TAGS +LAST ROTATED +BOUND +DUE$/);
    expect(table.stdout).toMatch(/cli-token +api_key +env:prod/);

    const off = await runCli(['secrets', 'remind', 'cli-token', '--off'], { configHome });
    expect(off.stdout).toContain('reminder off');
    expect((await runCli(['secrets', 'remind', 'cli-token', '60'], { configHome })).stdout).toContain('every 60 days');

    // Piped stdin is not a terminal: deleting needs --confirm.
    expect((await runCli(['secrets', 'delete', 'cli-other'], { configHome })).code).toBe(2);
    expect((await runCli(['secrets', 'delete', 'cli-other', '--confirm', 'cli-token'], { configHome })).code).toBe(2);
    const deleted = await runCli(['secrets', 'delete', 'cli-other', '--confirm', 'cli-other'], { configHome });
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain('bound resources: none');
    expect((await runCli(['secrets', 'show', 'cli-other'], { configHome })).code).toBe(4);

    const everything = [created, set, show, list, table].map((r) => r.stdout + r.stderr).join('');
    expect(everything).not.toContain(VALUE);
  });

  it('never takes a value from an argument', async () => {
    const configHome = await loggedIn();
    expect((await runCli(['secrets', 'create', 'x-name', '--value', VALUE], { configHome })).code).toBe(2);
    expect((await runCli(['secrets', 'create', 'x-name', VALUE], { configHome })).code).toBe(2);
    expect((await runCli(['secrets', 'create', 'x-name'], { configHome, input: '' })).code).toBe(2);
  });

  it('refuses a value that is not UTF-8 rather than store another one', async () => {
    const configHome = await loggedIn();
    const file = join(configHome, 'binary-value');
    writeFileSync(file, Buffer.from([0x70, 0x77, 0xff, 0xfe, 0x80, 0x21]));
    const r = await runCli(['secrets', 'create', 'binary-value', '--value-file', file], { configHome });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not UTF-8');
    expect((await admin.get('/api/v1/secrets/binary-value')).status).toBe(404);
  });

  it('exits 4 for a secret that does not exist, 2 for a bad name', async () => {
    const configHome = await loggedIn();
    const missing = await runCli(['secrets', 'show', 'nope-nope'], { configHome });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('nope-nope');
    expect((await runCli(['secrets', 'create', 'Bad_Name'], { configHome, input: 'x-value' })).code).toBe(2);
  });
});

describe('the command line itself', () => {
  it.each([
    [[]],
    [['secrets']],
    [['secrets', 'list']],
    [['secrets', 'show']],
    [['secrets', 'create']],
    [['secrets', 'set']],
    [['secrets', 'delete']],
    [['secrets', 'remind']],
    [['login']],
    [['logout']],
    [['whoami']],
    [['run']],
  ])('answers --help for %j', async (words) => {
    const r = await runCli([...words, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nembl/);
    if (words.length > 0 && words.join(' ') !== 'secrets')
      expect(r.stdout).toContain(`usage: nembl ${words.join(' ')}`);
  });

  it('exits 2 for an unknown command', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    expect((await runCli(['secrets', 'frobnicate'])).code).toBe(2);
  });

  it('is one bundled file without TypeORM, BullMQ or the AWS SDK, importing only Node built-ins', () => {
    const bundle = readFileSync(BUNDLE, 'utf8');
    for (const heavy of ['typeorm', 'bullmq', '@aws-sdk', 'ioredis', 'pg-pool']) expect(bundle).not.toContain(heavy);
    const specifiers = [...bundle.matchAll(/(?<![.\w$])(?:from|import\(?|require\()\s*["']([^"']+)["']/g)].map(
      (m) => m[1],
    );
    expect(specifiers.length).toBeGreaterThan(0);
    for (const s of specifiers) expect(s).toMatch(/^node:/);
  });
});
