import { randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, startTcpProxy, type TestDatabase } from '@nembl/testkit';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, unseal } from '../crypto/seal.js';
import { createDataSource } from '../db/data-source.js';
import { localSecretStoreFactory } from './local-secret-store.js';
import { StoreError } from './store-types.js';

describe('local driver', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const masterKey = randomBytes(32);
  const storeFor = (key = masterKey) => localSecretStoreFactory({ dataSource: ds, masterKey: key });

  const newCompany = async (): Promise<string> => {
    const [row] = (await ds.query(`INSERT INTO companies (name) VALUES ('local') RETURNING id`)) as { id: string }[];
    return row!.id;
  };
  const unwrappedKey = async (companyId: string): Promise<Buffer> => {
    const [row] = (await ds.query(`SELECT wrapped_key FROM local_store_keys WHERE company_id = $1`, [companyId])) as {
      wrapped_key: Buffer;
    }[];
    return unseal(deriveKey(masterKey, 'local-store-kek'), row!.wrapped_key, companyId);
  };
  const failure = async (p: Promise<unknown>): Promise<StoreError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 12 });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('creates in one statement, also without waiting for the flush (the worker), and stays idempotent per token', async () => {
    const companyId = await newCompany();
    const deferred = localSecretStoreFactory({ dataSource: ds, masterKey, deferFlush: true });
    const token = randomUUID();
    expect(await deferred.create({ companyId, name: 'api-key', value: 'v1', clientToken: token })).toEqual({
      versionId: token,
    });
    // A re-run with the same token and value changes nothing; a different value under it is refused.
    expect(await deferred.create({ companyId, name: 'api-key', value: 'v1', clientToken: token })).toEqual({
      versionId: token,
    });
    expect((await failure(deferred.create({ companyId, name: 'api-key', value: 'v2', clientToken: token }))).code).toBe(
      'Invalid',
    );
    expect(await storeFor().getValue({ companyId, name: 'api-key' })).toEqual({ value: 'v1', versionId: token });
    const [row] = (await ds.query(`SELECT count(*)::int AS n FROM local_store_versions WHERE company_id = $1`, [
      companyId,
    ])) as Array<{ n: number }>;
    expect(row!.n).toBe(1);
  });

  it('keeps only ciphertext in Postgres: the plaintext canary appears in no stored byte', async () => {
    const companyId = await newCompany();
    const canary = `canary-${randomUUID()}`;
    await storeFor().create({ companyId, name: 'db-password', value: canary, clientToken: randomUUID() });
    await storeFor().putValue({ companyId, name: 'db-password', value: `${canary}-2`, clientToken: randomUUID() });
    const versions = (await ds.query(`SELECT ciphertext FROM local_store_versions WHERE company_id = $1`, [
      companyId,
    ])) as {
      ciphertext: Buffer;
    }[];
    expect(versions).toHaveLength(2);
    const keys = (await ds.query(`SELECT wrapped_key FROM local_store_keys WHERE company_id = $1`, [companyId])) as {
      wrapped_key: Buffer;
    }[];
    const stored = [...versions.map((v) => v.ciphertext), ...keys.map((k) => k.wrapped_key)];
    for (const blob of stored) {
      expect(blob.includes(Buffer.from(canary))).toBe(false);
      expect(blob.toString('latin1')).not.toContain(canary);
    }
  });

  it('gives every company its own data key', async () => {
    const [a, b] = [await newCompany(), await newCompany()];
    await storeFor().create({ companyId: a, name: 's', value: 'v', clientToken: randomUUID() });
    await storeFor().create({ companyId: b, name: 's', value: 'v', clientToken: randomUUID() });
    const [ka, kb] = [await unwrappedKey(a), await unwrappedKey(b)];
    expect(ka).toHaveLength(32);
    expect(kb).toHaveLength(32);
    expect(ka.equals(kb)).toBe(false);
  });

  it('creates one data key per company even when many stores race for it', async () => {
    const companyId = await newCompany();
    // Separate store instances have separate caches, like separate processes.
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        storeFor().create({ companyId, name: `s${i}`, value: `v${i}`, clientToken: randomUUID() }),
      ),
    );
    const [count] = (await ds.query(`SELECT count(*)::int AS n FROM local_store_keys WHERE company_id = $1`, [
      companyId,
    ])) as { n: number }[];
    expect(count!.n).toBe(1);
    const fresh = storeFor();
    for (let i = 0; i < 8; i++) expect((await fresh.getValue({ companyId, name: `s${i}` })).value).toBe(`v${i}`);
  });

  it('does not open a value sealed for one company as another company', async () => {
    const [a, b] = [await newCompany(), await newCompany()];
    const versionId = randomUUID();
    await storeFor().create({ companyId: a, name: 'stolen', value: 'only for a', clientToken: versionId });
    await storeFor().create({ companyId: b, name: 'other', value: 'b has a key too', clientToken: randomUUID() });
    // Copy a's row into b under the same name and version id: only the company differs.
    await ds.query(`INSERT INTO local_store_secrets (company_id, name, current_version_id) VALUES ($1, 'stolen', $2)`, [
      b,
      versionId,
    ]);
    await ds.query(
      `INSERT INTO local_store_versions (company_id, name, version_id, seq, ciphertext)
       SELECT $2, name, version_id, seq, ciphertext FROM local_store_versions WHERE company_id = $1 AND name = 'stolen'`,
      [a, b],
    );
    const err = await failure(storeFor().getValue({ companyId: b, name: 'stolen' }));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: 'AccessDenied', retryable: false });
    expect(err.message).not.toContain('only for a');
  });

  it('does not open a value moved to another name or version of the same company', async () => {
    const companyId = await newCompany();
    const v1 = randomUUID();
    const v2 = randomUUID();
    await storeFor().create({ companyId, name: 'a', value: 'value of a', clientToken: v1 });
    await storeFor().create({ companyId, name: 'b', value: 'value of b', clientToken: v2 });
    await ds.query(
      `UPDATE local_store_versions SET ciphertext = (SELECT ciphertext FROM local_store_versions WHERE company_id = $1 AND name = 'a')
        WHERE company_id = $1 AND name = 'b'`,
      [companyId],
    );
    expect((await failure(storeFor().getValue({ companyId, name: 'b' }))).code).toBe('AccessDenied');
  });

  it('cannot read values with a different master key', async () => {
    const companyId = await newCompany();
    await storeFor().create({ companyId, name: 's', value: 'v', clientToken: randomUUID() });
    const err = await failure(storeFor(randomBytes(32)).getValue({ companyId, name: 's' }));
    expect({ code: err.code, retryable: err.retryable }).toEqual({ code: 'AccessDenied', retryable: false });
  });

  it('numbers versions in order and serializes concurrent writers of one secret', async () => {
    const companyId = await newCompany();
    const store = storeFor();
    await store.create({ companyId, name: 's', value: 'v0', clientToken: randomUUID() });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.putValue({ companyId, name: 's', value: `v${i + 1}`, clientToken: randomUUID() }),
      ),
    );
    const rows = (await ds.query(`SELECT seq FROM local_store_versions WHERE company_id = $1 ORDER BY seq`, [
      companyId,
    ])) as { seq: number }[];
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    const [secret] = (await ds.query(
      `SELECT s.current_version_id = v.version_id AS latest FROM local_store_secrets s
         JOIN local_store_versions v USING (company_id, name) WHERE s.company_id = $1 ORDER BY v.seq DESC LIMIT 1`,
      [companyId],
    )) as { latest: boolean }[];
    expect(secret!.latest).toBe(true);
  });

  it('rejects an unknown company as Invalid and creates no key for reads', async () => {
    const missing = randomUUID();
    expect(
      (await failure(storeFor().create({ companyId: missing, name: 's', value: 'v', clientToken: randomUUID() }))).code,
    ).toBe('Invalid');
    expect((await failure(storeFor().getValue({ companyId: missing, name: 's' }))).code).toBe('NotFound');
    const [count] = (await ds.query(`SELECT count(*)::int AS n FROM local_store_keys WHERE company_id = $1`, [
      missing,
    ])) as { n: number }[];
    expect(count!.n).toBe(0);
  });

  it('reports a database that went away as retryable Unavailable, and recovers when it is back', async () => {
    const url = new URL(db.url);
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.host = `${proxy.host}:${proxy.port}`;
    const viaProxy = createDataSource({ url: url.toString(), poolSize: 2 });
    await viaProxy.initialize();
    try {
      const store = localSecretStoreFactory({ dataSource: viaProxy, masterKey });
      await store.ping();
      proxy.pause();
      const err = await failure(store.ping());
      expect({ code: err.code, retryable: err.retryable }).toEqual({ code: 'Unavailable', retryable: true });
      proxy.resume();
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await viaProxy.destroy();
      await proxy.close();
    }
  });
});
