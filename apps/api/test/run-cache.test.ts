import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

// The run cache (run-service.ts): a resolution of a cached run reads nothing but its audit write,
// and that write re-checks what the cache answered. These tests change rows behind the cache's
// back (plain SQL, no announcement), so only that re-check can catch the change.
let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

const PHASE = { name: 'deploy', env: { TOKEN: 'secret:deploy-token', DB: 'secret:db-password', REGION: 'eu-west-1' } };

/** A company with two secrets, a workflow referencing them, a run, and its phase resolved once (pinned and cached). */
const cachedRun = async () => {
  const admin = new ApiClient(t.url);
  const { company } = await admin.signup();
  const token = (await admin.post('/api/v1/tokens', { name: `runner-${Math.random()}`, roles: ['Runner'] })).body;
  const runner = ApiClient.withToken(t.url, token.token);
  expect((await admin.post('/api/v1/secrets', { name: 'deploy-token', value: 'token-v1' })).status).toBe(201);
  expect((await admin.post('/api/v1/secrets', { name: 'db-password', value: 'db-v1' })).status).toBe(201);
  const workflow = (await admin.post('/api/v1/workflows', { name: 'release', phases: [PHASE] })).body.workflow;
  const run = (await runner.post(`/api/v1/workflows/${workflow.id}/runs`)).body.run;
  const path = `/api/v1/runs/${run.id}/phases/deploy/env`;
  // The first resolution pins the versions and caches the run with its pins.
  expect((await runner.post(path)).status).toBe(200);
  return { admin, runner, companyId: company.id as string, workflow, run, path, tokenId: token.id as string };
};

/** Denies every value read of a secret tagged frozen=yes. */
const FROZEN = {
  name: 'frozen',
  statements: [
    {
      sid: 'deny-frozen',
      effect: 'deny',
      actions: ['secrets:read_value'],
      principals: '*',
      conditions: { StringEquals: { 'resource.tag/frozen': 'yes' } },
    },
  ],
};

const EXPECTED = {
  env: { TOKEN: 'token-v1', DB: 'db-v1', REGION: 'eu-west-1' },
  versions: { TOKEN: { secret: 'deploy-token', version: 1 }, DB: { secret: 'db-password', version: 1 } },
};

/**
 * Allowed value reads audited for the run, wherever they are on their way (one statement: one
 * snapshot); a resolution's events share one outbox row, packed (`packAuditEvents`).
 */
const auditedReads = async (runId: string): Promise<number> => {
  const [{ n }] = await t.dataSource.query(
    `SELECT (SELECT count(*) FROM audit_outbox o
               CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN o.event ? 'each' THEN o.event->'each' ELSE jsonb_build_array(o.event) END) AS own(e)
               CROSS JOIN LATERAL (SELECT coalesce(o.event->'shared', '{}') || own.e AS e) ev
              WHERE ev.e->>'action' = 'secrets:read_value' AND ev.e->>'decision' = 'allow' AND ev.e->>'reason' LIKE $1)
          + (SELECT count(*) FROM audit_events WHERE action = 'secrets:read_value' AND decision = 'allow' AND reason LIKE $1) AS n`,
    [`run:${runId} %`],
  );
  return Number(n);
};

describe('resolving a cached run', () => {
  it('reads neither the run nor its pins from Postgres, and audits every value it returns', async () => {
    const { runner, run, path } = await cachedRun();
    expect(await auditedReads(run.id)).toBe(2);
    // A transaction holding run_pins exclusively blocks every read of the pins.
    const blocker = t.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    try {
      await blocker.query('LOCK TABLE run_pins IN ACCESS EXCLUSIVE MODE');
      const res = await Promise.race([
        runner.post(path),
        new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 3000)),
      ]);
      expect(res).not.toBe('blocked');
      expect(res === 'blocked' ? undefined : res.body).toEqual(EXPECTED);
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    expect(await auditedReads(run.id)).toBe(4);
  });

  it('answers 422 for a pinned secret deleted behind the cache’s back, auditing no read', async () => {
    const { runner, run, path, companyId } = await cachedRun();
    await t.dataSource.query(
      `UPDATE secrets SET status = 'deleted', deleted_at = now() WHERE company_id = $1 AND name = 'deploy-token'`,
      [companyId],
    );
    const res = await runner.post(path);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/deploy-token was deleted on \d{4}-\d\d-\d\dT/);
    expect(res.text).not.toContain('token-v1');
    expect(await auditedReads(run.id)).toBe(2);
  });

  it('answers 403 naming the secret when its tags changed behind the cache’s back into a denial', async () => {
    const { admin, runner, run, path, companyId } = await cachedRun();
    const policy = await admin.post('/api/v1/policies', FROZEN);
    expect(policy.status).toBe(201);
    expect((await runner.post(path)).body).toEqual(EXPECTED); // the policy alone denies nothing
    await t.dataSource.query(
      `UPDATE secrets SET tags = '{"frozen": "yes"}' WHERE company_id = $1 AND name = 'db-password'`,
      [companyId],
    );
    const res = await runner.post(path);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ action: 'secrets:read_value', reason: 'explicit_deny', secret: 'db-password' });
    expect(res.text).not.toContain('token-v1');
    expect(await auditedReads(run.id)).toBe(4);
  });

  it('answers 404 once the run is gone with its workflow, deleted behind the cache’s back', async () => {
    const { runner, run, path, companyId, workflow } = await cachedRun();
    await t.dataSource.query(`DELETE FROM workflows WHERE company_id = $1 AND id = $2`, [companyId, workflow.id]);
    const res = await runner.post(path);
    expect(res.status).toBe(404);
    expect(await auditedReads(run.id)).toBe(2);
  });

  it('answers 410 once the cached run expired, and 401 once its token is revoked', async () => {
    const { admin, runner, path, tokenId } = await cachedRun();
    t.clock.advance(25 * 3_600_000);
    try {
      expect((await runner.post(path)).status).toBe(410);
    } finally {
      t.clock.advance(-25 * 3_600_000);
    }
    expect((await runner.post(path)).status).toBe(200);
    expect((await admin.delete(`/api/v1/tokens/${tokenId}`)).status).toBe(204);
    expect((await runner.post(path)).status).toBe(401);
  });

  it('answers 410 once the run was ended in SQL behind the cache’s back (an operator’s kill switch)', async () => {
    const { runner, run, path } = await cachedRun();
    await t.dataSource.query(`UPDATE runs SET expires_at = $2 WHERE id = $1`, [
      run.id,
      new Date(t.clock.now().getTime() - 60_000),
    ]);
    const res = await runner.post(path);
    expect(res.status).toBe(410);
    expect(res.text).not.toContain('token-v1');
    expect(await auditedReads(run.id)).toBe(2);
  });

  it('answers 422, not 503, when the store lost a cached run’s version of a secret deleted behind its back', async () => {
    // The run is cached by a denied resolution, so no value of it is in the process's value cache.
    const admin = new ApiClient(t.url);
    const { company } = await admin.signup();
    const token = (await admin.post('/api/v1/tokens', { name: `runner-${Math.random()}`, roles: ['Runner'] })).body;
    const runner = ApiClient.withToken(t.url, token.token);
    expect((await admin.post('/api/v1/policies', FROZEN)).status).toBe(201);
    const secret = { name: 'deploy-token', value: 'token-v1', tags: { frozen: 'yes' } };
    expect((await admin.post('/api/v1/secrets', secret)).status).toBe(201);
    expect((await admin.post('/api/v1/secrets', { name: 'db-password', value: 'db-v1' })).status).toBe(201);
    const workflow = (await admin.post('/api/v1/workflows', { name: 'release', phases: [PHASE] })).body.workflow;
    const run = (await runner.post(`/api/v1/workflows/${workflow.id}/runs`)).body.run;
    const path = `/api/v1/runs/${run.id}/phases/deploy/env`;
    expect((await runner.post(path)).status).toBe(403);
    // Behind the cache's back: the policy goes (with the version stamp every policy write bumps),
    // the secret is deleted and its stored versions with it.
    await t.dataSource.query(`DELETE FROM policies WHERE company_id = $1 AND name = 'frozen'`, [company.id]);
    await t.dataSource.query(`UPDATE companies SET policy_version = policy_version + 1 WHERE id = $1`, [company.id]);
    await t.dataSource.query(
      `UPDATE secrets SET status = 'deleted', deleted_at = now() WHERE company_id = $1 AND name = 'deploy-token'`,
      [company.id],
    );
    await t.dataSource.query(`DELETE FROM local_store_versions WHERE company_id = $1 AND name = 'deploy-token'`, [
      company.id,
    ]);
    await new Promise((r) => setTimeout(r, 1100)); // past the compiled policies' revalidation
    const res = await runner.post(path);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/deploy-token was deleted on/);
    expect(await auditedReads(run.id)).toBe(0);
  });

  it('keeps the pinned versions after a rotation and gives a new run the new one', async () => {
    const { admin, runner, path, workflow } = await cachedRun();
    expect((await admin.put('/api/v1/secrets/deploy-token/value', { value: 'token-v2' })).status).toBe(200);
    expect((await runner.post(path)).body).toEqual(EXPECTED);
    const next = (await runner.post(`/api/v1/workflows/${workflow.id}/runs`)).body.run;
    const fresh = await runner.post(`/api/v1/runs/${next.id}/phases/deploy/env`);
    expect(fresh.body.env.TOKEN).toBe('token-v2');
    expect(fresh.body.versions.TOKEN.version).toBe(2);
  });
});
