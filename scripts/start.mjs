// `npm start`: install what is missing, build, create the database, migrate (the API does it
// on start, under a lock), start api and worker, print the URL and the first admin's login.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkNode, ensureInstalled, root, run, say, sleep, startChild } from './lib.mjs';

checkNode();
ensureInstalled();
say('building…');
run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);

const env = { ...process.env, NODE_ENV: process.env.NODE_ENV === 'production' ? 'production' : 'development' };
const port = env.PORT ?? '8080';
const dataDir = resolve(root, env.NEMBL_DATA_DIR ?? '.data');
env.NEMBL_DATA_DIR = dataDir;
const databaseUrl = env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/nembl';
// The whole system on one machine: the API uses its cores (NEMBL_API_PROCESSES, one per core, at
// most 4), where a deployment runs one process per container unless told otherwise.
const { defaultApiProcesses } = await import('../apps/api/dist/cluster.js');
env.NEMBL_API_PROCESSES ??= String(defaultApiProcesses());

const ensureDatabase = async () => {
  const { default: pg } = await import('pg');
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch (err) {
    process.stderr.write(`Cannot reach Postgres at ${url.host}: ${err.message}\nStart Postgres or set DATABASE_URL.\n`);
    process.exit(1);
  }
  const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount === 0) {
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`refusing to create database with unusual name ${name}`);
    say(`creating database ${name}`);
    await client.query(`CREATE DATABASE "${name}"`);
  }
  await client.end();
};

if (env.NODE_ENV !== 'production') await ensureDatabase();

const children = [];
const stopAll = (code) => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 200).unref();
};
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

const api = startChild('api', process.execPath, ['apps/api/dist/main.js'], env);
children.push(api);
api.on('exit', (code) => {
  process.stderr.write(`api exited (${code})\n`);
  stopAll(code ?? 1);
});

const readyUrl = `http://127.0.0.1:${port}/readyz`;
let ready = false;
for (let i = 0; i < 120 && !ready && api.exitCode === null; i++) {
  await sleep(500);
  ready = await fetch(readyUrl).then((r) => r.ok, () => false);
}
if (!ready) {
  process.stderr.write(`The API did not become ready at ${readyUrl} (is Redis reachable at ${env.REDIS_URL ?? 'redis://127.0.0.1:6379'}?)\n`);
  stopAll(1);
} else {
  const worker = startChild('worker', process.execPath, ['apps/worker/dist/main.js'], env);
  children.push(worker);
  worker.on('exit', (code) => {
    process.stderr.write(`worker exited (${code})\n`);
    stopAll(code ?? 1);
  });

  const loginFile = join(dataDir, 'admin-login.txt');
  const [email, password] = existsSync(loginFile) ? readFileSync(loginFile, 'utf8').trim().split('\n') : [];
  const url = env.NEMBL_PUBLIC_URL ?? `http://localhost:${port}`;
  process.stdout.write(
    [
      '',
      '  Nembl Secrets is running',
      `  Console and API:  ${url}  (API under ${url}/api/v1, OpenAPI at ${url}/api/v1/openapi.json)`,
      `  Admin login:      ${email ?? env.NEMBL_BOOTSTRAP_ADMIN_EMAIL ?? 'admin@nembl.local'}`,
      `  Admin password:   ${password ?? (env.NEMBL_BOOTSTRAP_ADMIN_PASSWORD ? '(from NEMBL_BOOTSTRAP_ADMIN_PASSWORD)' : '(printed at first start)')}`,
      '  Stop with Ctrl+C.',
      '',
    ].join('\n') + '\n',
  );
}
