import { randomUUID } from 'node:crypto';
import {
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  freePort,
  MOTO_CREDENTIALS,
  MOTO_REGION,
  startAwsFaultProxy,
  startMoto,
  type AwsFaultProxy,
  type MotoServer,
} from '@nembl/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsSecretStoreFactory, type AwsSecretStoreOptions } from './aws-secret-store.js';
import { StoreError, storePath, type SecretRef, type StoreErrorCode } from './store-types.js';

const token = () => randomUUID();

const rejection = async (p: Promise<unknown>): Promise<StoreError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError, but the call succeeded');
};

describe('aws driver through a fault-injecting proxy in front of moto', () => {
  let moto: MotoServer;
  let proxy: AwsFaultProxy;
  let sdk: SecretsManagerClient;

  // Small delays so retries are fast; production defaults are larger.
  const storeWith = (opts: Partial<AwsSecretStoreOptions> = {}) =>
    awsSecretStoreFactory({
      region: MOTO_REGION,
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      retry: { attempts: 4, baseMs: 5, capMs: 40 },
      requestTimeoutMs: 2000,
      ...opts,
    });

  const ref = (): SecretRef => ({ companyId: randomUUID(), name: 'api-token' });
  const calls = (op: string) => proxy.requests().filter((r) => r.target === `secretsmanager.${op}`).length;

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startAwsFaultProxy(moto.endpoint);
    sdk = new SecretsManagerClient({ region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
  });
  afterAll(async () => {
    sdk?.destroy();
    await proxy?.close();
    await moto?.stop();
  });
  beforeEach(() => proxy.reset());

  it('tags the secret with the system tags only', async () => {
    const r = ref();
    await storeWith().create({ ...r, value: 'v', clientToken: token(), description: 'used by deploys' });
    const described = await sdk.send(new DescribeSecretCommand({ SecretId: storePath(r) }));
    expect(described.Name).toBe(`nembl/${r.companyId}/api-token`);
    expect(described.Description).toBe('used by deploys');
    expect(Object.fromEntries((described.Tags ?? []).map((t) => [t.Key, t.Value]))).toEqual({
      'nembl:company-id': r.companyId,
      'nembl:secret-name': 'api-token',
      'managed-by': 'nembl',
    });
  });

  it('retries throttling and then succeeds', async () => {
    const r = ref();
    const t = token();
    proxy.throttleNext(2);
    await expect(storeWith().create({ ...r, value: 'v', clientToken: t })).resolves.toEqual({ versionId: t });
    expect(calls('CreateSecret')).toBe(3);
    expect((await sdk.send(new ListSecretVersionIdsCommand({ SecretId: storePath(r) }))).Versions).toHaveLength(1);
  });

  it('gives up on persistent throttling with a retryable Throttled error after the configured attempts', async () => {
    proxy.throttleNext(100);
    const err = await rejection(storeWith().putValue({ ...ref(), value: 'v', clientToken: token() }));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: 'Throttled', retryable: true });
    expect(calls('PutSecretValue')).toBe(4);
  });

  it('retries a transient 503 and then succeeds', async () => {
    const r = ref();
    await storeWith().create({ ...r, value: 'v1', clientToken: token() });
    proxy.failNext(1, 503);
    await expect(storeWith().getValue(r)).resolves.toMatchObject({ value: 'v1' });
  });

  it('ends persistent 5xx in a retryable Unavailable error that names neither value nor request', async () => {
    proxy.failNext(100, 500);
    const err = await rejection(storeWith().create({ ...ref(), value: 'canary-value-5xx', clientToken: token() }));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: 'Unavailable', retryable: true });
    expect(err.message).not.toContain('canary');
    expect(err.message).toContain('CreateSecret');
    expect(calls('CreateSecret')).toBe(4);
  });

  it('waits for slow responses within the request timeout', async () => {
    const r = ref();
    proxy.delayNext(2, 400);
    const started = Date.now();
    await storeWith({ requestTimeoutMs: 2000 }).create({ ...r, value: 'slow', clientToken: token() });
    await expect(storeWith({ requestTimeoutMs: 2000 }).getValue(r)).resolves.toMatchObject({ value: 'slow' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(750);
    expect(calls('CreateSecret') + calls('GetSecretValue')).toBe(2);
  });

  it('retries an attempt that outlives the request timeout, and the late original adds no version', async () => {
    const r = ref();
    const t1 = token();
    const t2 = token();
    const store = storeWith({ requestTimeoutMs: 300 });
    await store.create({ ...r, value: 'one', clientToken: t1 });
    proxy.delayNext(1, 900);
    await expect(store.putValue({ ...r, value: 'two', clientToken: t2 })).resolves.toEqual({ versionId: t2 });
    expect(calls('PutSecretValue')).toBe(2);
    // Let the held request reach moto: same token and value, so it changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const versions = await sdk.send(new ListSecretVersionIdsCommand({ SecretId: storePath(r) }));
    expect((versions.Versions ?? []).map((v) => v.VersionId).sort()).toEqual([t1, t2].sort());
    await expect(store.getValue(r)).resolves.toEqual({ value: 'two', versionId: t2 });
  });

  it('retries a re-create while AWS is still finishing the force delete', async () => {
    const r = ref();
    const store = storeWith({ recreateWaitMs: 5000 });
    await store.create({ ...r, value: 'first life', clientToken: token() });
    proxy.delayDeletes(500);
    await store.delete(r);
    const started = Date.now();
    const t = token();
    await expect(store.create({ ...r, value: 'second life', clientToken: t })).resolves.toEqual({ versionId: t });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(calls('CreateSecret')).toBeGreaterThanOrEqual(3);
    await expect(store.getValue(r)).resolves.toEqual({ value: 'second life', versionId: t });
  });

  it('reports a re-create that stays blocked past recreateWaitMs as retryable Unavailable', async () => {
    const r = ref();
    const store = storeWith({ recreateWaitMs: 300 });
    await store.create({ ...r, value: 'v', clientToken: token() });
    proxy.delayDeletes(10_000);
    await store.delete(r);
    const err = await rejection(store.create({ ...r, value: 'v', clientToken: token() }));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: 'Unavailable', retryable: true });
    expect(err.message).toMatch(/still deleting/);
  });

  it('sends deletes with ForceDeleteWithoutRecovery, so the name is free again at once on moto', async () => {
    const r = ref();
    const store = storeWith();
    await store.create({ ...r, value: 'v', clientToken: token() });
    await store.delete(r);
    await expect(sdk.send(new DescribeSecretCommand({ SecretId: storePath(r) }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('holds writes to the configured rate', async () => {
    const store = storeWith({ writesPerSecond: 10 });
    const started = Date.now();
    // A burst of 10 goes at once, the other 20 at 10/s: about 2 s in all.
    await Promise.all(Array.from({ length: 30 }, () => store.create({ ...ref(), value: 'v', clientToken: token() })));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1800);
    expect(elapsed).toBeLessThan(10_000);
    expect(calls('CreateSecret')).toBe(30);
  });

  it('does not rate-limit reads', async () => {
    const r = ref();
    const store = storeWith({ writesPerSecond: 1 });
    await store.create({ ...r, value: 'v', clientToken: token() });
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, () => store.getValue(r)));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('aws driver error mapping', () => {
  /** A client whose every call fails with `err`, counting the calls. */
  const failingClient = (err: unknown) => {
    const client = {
      calls: 0,
      send: async () => {
        client.calls += 1;
        throw err;
      },
    };
    return client;
  };

  const sdkError = (name: string, status?: number, message = 'x') =>
    Object.assign(new Error(message), {
      name,
      $fault: 'client',
      $metadata: status === undefined ? {} : { httpStatusCode: status, requestId: 'req-1' },
    });

  const mapped = async (err: unknown): Promise<{ code: StoreErrorCode; retryable: boolean; calls: number }> => {
    const client = failingClient(err);
    const store = awsSecretStoreFactory({
      region: 'us-east-1',
      client: client as unknown as SecretsManagerClient,
      retry: { attempts: 3, baseMs: 1, capMs: 1 },
      sleep: async () => undefined,
    });
    const e = await rejection(store.putValue({ companyId: randomUUID(), name: 'n', value: 'v', clientToken: token() }));
    return { code: e.code, retryable: e.retryable, calls: client.calls };
  };

  it.each([
    ['ThrottlingException', 400, 'Throttled', true],
    ['TooManyRequestsException', 400, 'Throttled', true],
    ['SomethingNew', 429, 'Throttled', true],
    ['InternalServiceError', 500, 'Unavailable', true],
    ['SomethingNew', 502, 'Unavailable', true],
    ['TimeoutError', undefined, 'Unavailable', true],
    ['AccessDeniedException', 400, 'AccessDenied', false],
    ['UnrecognizedClientException', 400, 'AccessDenied', false],
    ['SomethingNew', 403, 'AccessDenied', false],
    ['InvalidParameterException', 400, 'Invalid', false],
    ['InvalidRequestException', 400, 'Invalid', false],
    ['ValidationException', 400, 'Invalid', false],
    ['ResourceNotFoundException', 400, 'NotFound', false],
  ] as const)('maps %s (HTTP %s) to %s, retryable %s', async (name, status, code, retryable) => {
    expect(await mapped(sdkError(name, status))).toEqual({ code, retryable, calls: retryable ? 3 : 1 });
  });

  it('maps a "Rate exceeded" message to Throttled', async () => {
    expect(await mapped(sdkError('Unknown', 400, 'Rate exceeded'))).toMatchObject({
      code: 'Throttled',
      retryable: true,
    });
  });

  it('maps connection failures to retryable Unavailable', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      $metadata: {},
    });
    expect(await mapped(refused)).toEqual({ code: 'Unavailable', retryable: true, calls: 3 });
  });

  it('never copies the AWS message, which may echo the input, into the error', async () => {
    const client = failingClient(
      sdkError('ValidationException', 400, "Value 'canary-secret' at 'secretString' failed"),
    );
    const store = awsSecretStoreFactory({ region: 'us-east-1', client: client as unknown as SecretsManagerClient });
    const err = await rejection(
      store.putValue({ companyId: randomUUID(), name: 'n', value: 'canary-secret', clientToken: token() }),
    );
    expect(err.message).not.toContain('canary');
    expect(err.message).toContain('ValidationException');
  });

  it('treats "marked for deletion" as NotFound on reads and as done on delete', async () => {
    const marked = sdkError(
      'InvalidRequestException',
      400,
      "You can't perform this operation on the secret because it was marked for deletion.",
    );
    const store = awsSecretStoreFactory({
      region: 'us-east-1',
      client: failingClient(marked) as unknown as SecretsManagerClient,
    });
    const r = { companyId: randomUUID(), name: 'n' };
    expect((await rejection(store.getValue(r))).code).toBe('NotFound');
    await expect(store.delete(r)).resolves.toBeUndefined();
  });

  it('fails ping with retryable Unavailable when the endpoint is down', async () => {
    const port = await freePort();
    const store = awsSecretStoreFactory({
      region: MOTO_REGION,
      endpoint: `http://127.0.0.1:${port}`,
      credentials: MOTO_CREDENTIALS,
    });
    const err = await rejection(store.ping());
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: 'Unavailable', retryable: true });
  });
});
