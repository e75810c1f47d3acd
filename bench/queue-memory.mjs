// Redis memory per job, for docs/scaling.md: on a private redis-server (started here on a free
// loopback port, no persistence, so other users of the shared Redis neither disturb nor are
// disturbed), adds N secret-operation jobs exactly as the API does (job id = operation id, data
// `{ operationId }`, OPERATION_JOB_OPTIONS), measures used_memory per waiting job, lets a worker
// complete them and measures again per completed job (operations are kept for an hour after
// completion), then the same for audit-event jobs (AUDIT_JOB_OPTIONS: removed on completion) with a
// typical metadata payload. The floor is an empty queue's memory (the
// server's baseline); the figure is the increase divided by N.
//
//   npx turbo run build --output-logs=errors-only && node bench/queue-memory.mjs
//
// Knobs: BENCH_JOBS (20000).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { defer, finish, log, startBench, wallTimeLine } from './lib/run.mjs';
import { freePort, ROOT } from './lib/system.mjs';

const N = Number(process.env.BENCH_JOBS ?? 20_000);
const CORE = join(ROOT, 'packages/core/dist/index.js');
if (!existsSync(CORE)) {
  process.stderr.write(`not built (${CORE}); run: npx turbo run build --output-logs=errors-only\n`);
  process.exit(1);
}
startBench({ capMs: 300_000 });

const run = async () => {
  const core = await import(CORE);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'nembl-bench-redis-'));
  defer('remove redis dir', () => rmSync(dir, { recursive: true, force: true }));
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  defer('stop redis-server', async () => {
    if (server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((r) => server.once('exit', r));
    }
  });
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 100 });
  redis.on('error', () => undefined);
  defer('close redis', () => redis.disconnect());
  while (redis.status !== 'ready') await delay(50);
  const used = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);
  const deps = { connection: redis, prefix: '{nembl}' };
  const lines = [];

  const measure = async (queueName, payload, label, jobOptions) => {
    const queue = core.createQueue(queueName, deps);
    await queue.waitUntilReady();
    const before = await used();
    const ids = Array.from({ length: N }, () => randomUUID());
    for (let i = 0; i < N; i += 1000) {
      await queue.addBulk(
        ids
          .slice(i, i + 1000)
          .map((id) => ({ name: queueName, data: payload(id), opts: { ...jobOptions, jobId: id } })),
      );
    }
    const waiting = await used();
    let done = 0;
    const worker = core.startWorker(queueName, async () => void (done += 1), deps, { concurrency: 50 });
    while (done < N) await delay(100);
    await worker.close();
    await delay(200);
    const completed = await used();
    lines.push(
      `${label.padEnd(34)} waiting ${((waiting - before) / N).toFixed(0).padStart(5)} B/job   completed ${((completed - before) / N).toFixed(0).padStart(5)} B/job   baseline ${(before / 1024 / 1024).toFixed(1)} MB`,
    );
    await queue.obliterate({ force: true });
    await queue.close();
  };

  await measure(
    core.QueueName.SecretOperations,
    (id) => ({ operationId: id }),
    'secret-operations { operationId }',
    core.OPERATION_JOB_OPTIONS,
  );
  await measure(
    core.QueueName.Audit,
    (id) => ({
      kind: 'event',
      event: {
        companyId: randomUUID(),
        at: new Date().toISOString(),
        actor: { type: 'token', id: randomUUID(), label: 'ci-runner' },
        action: 'secrets:read_value',
        resource: { kind: 'secret', name: 'payments-api-key', id: randomUUID() },
        decision: 'allow',
        reason: 'policy:runner-read',
        requestId: id,
        ip: '10.0.12.34',
        userAgent: 'nembl-runner/1.0',
      },
    }),
    'audit-events (typical event)',
    core.AUDIT_JOB_OPTIONS,
  );
  process.stdout.write(
    `Redis memory per job, ${N.toLocaleString('en')} jobs per queue, Redis ${/redis_version:(\S+)/.exec(await redis.info('server'))[1]}:\n`,
  );
  for (const l of lines) process.stdout.write(`  ${l}\n`);
  process.stdout.write(`${wallTimeLine()}\n`);
};

await finish(run());
