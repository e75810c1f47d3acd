import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '@nembl/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnApiProcess, type ApiProcess } from './api-process.js';

// The API as `npm start` runs it (src/main.ts) with NEMBL_API_PROCESSES=2: one port, two processes.
let db: TestDatabase;
let dataDir: string;
const started: ChildProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'nembl-cluster-'));
}, 60_000);
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const freePort = async (): Promise<number> => {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
};

interface Api extends ApiProcess {
  port: number;
}

const startApi = async (): Promise<Api> => {
  const port = await freePort();
  const api = spawnApiProcess({
    port,
    databaseUrl: db.url,
    dataDir,
    env: { NEMBL_API_PROCESSES: '2', NEMBL_SHUTDOWN_DRAIN_MS: '0', NEMBL_PUBLIC_URL: `http://127.0.0.1:${port}` },
  });
  started.push(api.child);
  const deadline = Date.now() + 60_000;
  while (!api.output().includes('"api processes listening"')) {
    if (api.child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the api did not start:\n${api.output()}`);
    await delay(100);
  }
  return { ...api, port };
};

/** One keep-alive connection of its own: every request through it goes to the same API process. */
const connection = (port: number) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let localPort: number | undefined;
  const request = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    new Promise<{ status: number; json: any; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method,
          path,
          agent,
          headers: {
            ...headers,
            ...(data ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(data)) } : {}),
          },
        },
        (res) => {
          localPort ??= res.socket.localPort;
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString('utf8')));
          res.on('end', () => {
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = text;
            }
            resolve({ status: res.statusCode!, json, headers: res.headers });
          });
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  return { request, localPort: () => localPort, close: () => agent.destroy() };
};

/** The pid of the process holding the server side of the TCP connection from `clientPort`, from /proc. */
const serverPidOf = (apiPort: number, clientPort: number, pids: number[]): number | undefined => {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  // The API listens on every address, so its IPv4 connections are listed with the IPv6 ones.
  const inode = ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').slice(1))
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1]?.endsWith(`:${hex(apiPort)}`) && f[2]?.endsWith(`:${hex(clientPort)}`))?.[9];
  if (!inode) return undefined;
  return pids.find((pid) =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
      } catch {
        return false;
      }
    }),
  );
};

/** The API processes `pid` forked (not the helpers tsx starts, such as esbuild's service). */
const apiChildren = (pid: number): number[] =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return parent === pid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('apps/api/src/main.ts');
      } catch {
        return false;
      }
    });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const waitGone = async (pids: number[], ms: number) => {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await delay(50);
  return pids.filter(alive);
};

/** Connections until two of them are served by different processes. */
const oneConnectionPerProcess = async (api: Api, workers: number[]) => {
  const byPid = new Map<number, ReturnType<typeof connection>>();
  for (let i = 0; i < 20 && byPid.size < 2; i++) {
    const c = connection(api.port);
    expect((await c.request('GET', '/healthz')).status).toBe(200);
    const pid = serverPidOf(api.port, c.localPort()!, workers);
    if (pid !== undefined && !byPid.has(pid)) byPid.set(pid, c);
    else c.close();
  }
  return [...byPid.values()];
};

describe('NEMBL_API_PROCESSES: several API processes on one port', () => {
  it('serves from every process; a token revoked through one is refused by the other at once; /metrics counts them all', async () => {
    const api = await startApi();
    const workers = apiChildren(api.child.pid!);
    expect(workers).toHaveLength(2);
    const [a, b] = await oneConnectionPerProcess(api, workers);
    expect(a && b, 'two connections served by different processes').toBeTruthy();

    const signup = await a!.request(
      'POST',
      '/api/v1/auth/signup',
      {},
      {
        companyName: 'Cluster Co',
        email: `c-${randomBytes(4).toString('hex')}@example.com`,
        password: randomBytes(18).toString('base64url'),
      },
    );
    expect(signup.status).toBe(201);
    const cookie = (signup.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('nembl_session='))!;
    // The session was made by process A; process B knows it too (Postgres), and so does its CSRF check.
    const csrf = await b!.request('GET', '/api/v1/auth/csrf', { cookie });
    expect(csrf.status).toBe(200);
    const session = { cookie, 'x-csrf-token': csrf.json.token as string };
    const admin = await b!.request('POST', '/api/v1/tokens', session, { name: 'admin', roles: ['Admin'] });
    expect(admin.status).toBe(201);

    // A missed barrier shows only now and then (a notification not yet handled): try it many times.
    const ROUNDS = 15;
    for (let round = 0; round < ROUNDS; round++) {
      const victim = await a!.request('POST', '/api/v1/tokens', session, {
        name: `victim-${round}`,
        roles: ['Reader'],
      });
      expect(victim.status).toBe(201);
      // Both processes have the victim's principal cached.
      const asVictim = { authorization: `Bearer ${victim.json.token}` };
      for (const c of [a!, b!])
        for (let i = 0; i < 3; i++) expect((await c.request('GET', '/api/v1/me', asVictim)).status).toBe(200);
      // Revoked through one process: the other refuses it in the very next request.
      const [via, other] = round % 2 === 0 ? [b!, a!] : [a!, b!];
      expect(
        (
          await via.request('DELETE', `/api/v1/tokens/${victim.json.id}`, {
            authorization: `Bearer ${admin.json.token}`,
          })
        ).status,
      ).toBe(204);
      expect((await other.request('GET', '/api/v1/me', asVictim)).status).toBe(401);
      expect((await via.request('GET', '/api/v1/me', asVictim)).status).toBe(401);
    }

    // Six 200s and two 401s of GET /me per round, whichever process answers the scrape.
    for (const c of [a!, b!]) {
      const metrics = await c.request('GET', '/metrics');
      expect(metrics.status).toBe(200);
      const line = (status: number) =>
        String(metrics.json)
          .split('\n')
          .find((l) => l.startsWith(`nembl_http_requests_total{method="GET",route="/api/v1/me",status="${status}"}`));
      expect(line(200)).toMatch(new RegExp(` ${6 * ROUNDS}$`));
      expect(line(401)).toMatch(new RegExp(` ${2 * ROUNDS}$`));
    }
    a!.close();
    b!.close();

    // SIGTERM: every process drains and stops; the primary exits 0.
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await waitGone(workers, 5000)).toEqual([]);
  }, 120_000);

  it('a process that dies stops the API (exit 1, the others stopped); a killed primary takes its processes with it', async () => {
    const crashed = await startApi();
    const crashedWorkers = apiChildren(crashed.child.pid!);
    expect(crashedWorkers).toHaveLength(2);
    process.kill(crashedWorkers[0]!, 'SIGKILL');
    expect(await crashed.exited).toBe(1);
    expect(crashed.output()).toContain('an api process exited; stopping the others');
    expect(await waitGone(crashedWorkers, 15_000)).toEqual([]);

    const orphaned = await startApi();
    const orphanedWorkers = apiChildren(orphaned.child.pid!);
    expect(orphanedWorkers).toHaveLength(2);
    orphaned.child.kill('SIGKILL');
    await orphaned.exited;
    expect(await waitGone(orphanedWorkers, 15_000)).toEqual([]);
  }, 120_000);
});
