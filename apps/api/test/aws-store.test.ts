import { DescribeSecretCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsSecretStoreFactory } from '@nembl/core';
import { MOTO_CREDENTIALS, MOTO_REGION, startAwsFaultProxy, startMoto, type AwsFaultProxy, type MotoServer } from '@nembl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startTestApi, type TestApi } from './harness.js';

let moto: MotoServer;
let proxy: AwsFaultProxy;
let t: TestApi;
let aws: SecretsManagerClient;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startAwsFaultProxy(moto.endpoint);
  const store = awsSecretStoreFactory({
    region: MOTO_REGION,
    endpoint: proxy.endpoint,
    credentials: MOTO_CREDENTIALS,
    retry: { attempts: 3, baseMs: 20, capMs: 100 },
  });
  t = await startTestApi({ SECRET_STORE: 'aws', NEMBL_WRITE_WAIT_MS: '8000' }, { store });
  aws = new SecretsManagerClient({ region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await proxy?.close();
  await moto?.stop();
});

const versionsIn = async (id: string) => (await aws.send(new ListSecretVersionIdsCommand({ SecretId: id }))).Versions ?? [];

describe('secret lifecycle on AWS Secrets Manager (moto)', () => {
  it('creates, rotates, deletes and re-creates the same name, with system tags only on the store', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    const path = `nembl/${s.company.id}/payments-key`;
    const created = await c.post('/api/v1/secrets', { name: 'payments-key', value: 'aws-v1', tags: { team: 'payments' } });
    expect(created.status).toBe(201);
    expect(created.body.secret.path).toBe(path);
    const described = await aws.send(new DescribeSecretCommand({ SecretId: path }));
    const tags = Object.fromEntries((described.Tags ?? []).map((x) => [x.Key, x.Value]));
    expect(tags).toEqual({ 'nembl:company-id': s.company.id, 'nembl:secret-name': 'payments-key', 'managed-by': 'nembl' });

    const rotated = await c.put('/api/v1/secrets/payments-key/value', { value: 'aws-v2' });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret.version).toBe(2);
    expect(await versionsIn(path)).toHaveLength(2);
    expect((await t.worker!.composed.store.getValue({ companyId: s.company.id, name: 'payments-key' })).value).toBe('aws-v2');

    expect((await c.delete('/api/v1/secrets/payments-key?confirm=payments-key')).status).toBe(200);
    await expect(aws.send(new DescribeSecretCommand({ SecretId: path }))).rejects.toThrow();

    proxy.delayDeletes(600); // AWS finishes force deletes asynchronously
    const again = await c.post('/api/v1/secrets', { name: 'payments-key', value: 'aws-v3' });
    expect(again.status).toBe(201);
    expect(again.body.secret.version).toBe(1);
    expect((await t.worker!.composed.store.getValue({ companyId: s.company.id, name: 'payments-key' })).value).toBe('aws-v3');
    proxy.delayDeletes(0);
  });

  it('retries a store that is down and then succeeds, with exactly one new version', async () => {
    const c = new ApiClient(t.url);
    const s = await c.signup();
    proxy.failNext(5, 503);
    const res = await c.post('/api/v1/secrets', { name: 'flaky', value: 'eventually' });
    const op = res.status === 201 ? res.body.operation : await (async () => {
      for (;;) {
        const o = (await c.get(`/api/v1/operations/${res.body.operation.id}`)).body;
        if (o.status === 'succeeded' || o.status === 'failed') return o;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    expect(op.status).toBe('succeeded');
    expect(await versionsIn(`nembl/${s.company.id}/flaky`)).toHaveLength(1);
    expect((await c.get('/api/v1/secrets/flaky')).body.secret).toMatchObject({ status: 'active', version: 1 });
  });

  it('is ready only while the store answers', async () => {
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    proxy.failNext(10, 500);
    const down = await fetch(`${t.url}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { checks: Record<string, string> }).checks.store).toBe('down');
    proxy.reset();
  });
});
