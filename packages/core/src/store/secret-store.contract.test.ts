import { randomBytes, randomUUID } from 'node:crypto';
import { ListSecretVersionIdsCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createTestDatabase, MOTO_CREDENTIALS, MOTO_REGION, startMoto } from '@nembl/testkit';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource } from '../db/data-source.js';
import { createSecretStore } from './store-factory.js';
import { StoreError, storePath, type SecretRef, type SecretStore, type StoreErrorCode } from './store-types.js';

/** What the contract needs to look behind a driver, besides the driver itself. */
interface Harness {
  store: SecretStore;
  /** A company id the driver accepts (the local driver needs a `companies` row). */
  newCompany(): Promise<string>;
  /** Version ids the backend holds for a secret, read around the driver. */
  versionIds(ref: SecretRef): Promise<string[]>;
  /** Store-side names of a company's secrets, read around the driver. */
  storedNames(companyId: string): Promise<string[]>;
  close(): Promise<void>;
}

const localHarness = async (): Promise<Harness> => {
  const db = await createTestDatabase();
  const ds: DataSource = createDataSource({ url: db.url, poolSize: 8 });
  await ds.initialize();
  return {
    store: createSecretStore({ driver: 'local', dataSource: ds, masterKey: randomBytes(32) }),
    newCompany: async () => {
      const [row] = (await ds.query(`INSERT INTO companies (name) VALUES ('contract') RETURNING id`)) as {
        id: string;
      }[];
      return row!.id;
    },
    versionIds: async ({ companyId, name }) =>
      (
        (await ds.query(
          `SELECT version_id FROM local_store_versions WHERE company_id = $1 AND name = $2 ORDER BY seq`,
          [companyId, name],
        )) as {
          version_id: string;
        }[]
      ).map((r) => r.version_id),
    storedNames: async (companyId) =>
      (
        (await ds.query(`SELECT name FROM local_store_secrets WHERE company_id = $1`, [companyId])) as {
          name: string;
        }[]
      ).map((r) => storePath({ companyId, name: r.name })),
    close: async () => {
      await ds.destroy();
      await db.drop();
    },
  };
};

const awsHarness = async (): Promise<Harness> => {
  const moto = await startMoto();
  const sdk = new SecretsManagerClient({ region: MOTO_REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
  return {
    store: createSecretStore({
      driver: 'aws',
      region: MOTO_REGION,
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
      retry: { baseMs: 5, capMs: 50 },
    }),
    newCompany: async () => randomUUID(),
    versionIds: async (ref) => {
      const out = await sdk.send(
        new ListSecretVersionIdsCommand({ SecretId: storePath(ref), IncludeDeprecated: true }),
      );
      return (out.Versions ?? []).map((v) => v.VersionId!);
    },
    storedNames: async (companyId) => {
      const out = await sdk.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [`nembl/${companyId}/`] }] }),
      );
      return (out.SecretList ?? []).map((s) => s.Name!);
    },
    close: async () => {
      sdk.destroy();
      await moto.stop();
    },
  };
};

const rejection = async (p: Promise<unknown>): Promise<StoreError> => {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError, but the call succeeded');
};

const expectStoreError = async (p: Promise<unknown>, code: StoreErrorCode, retryable = false): Promise<StoreError> => {
  const err = await rejection(p);
  expect({ code: err.code, retryable: err.retryable }).toEqual({ code, retryable });
  return err;
};

const token = () => randomUUID();

describe.each([
  ['local', localHarness],
  ['aws', awsHarness],
] as const)('SecretStore contract (%s driver)', (driver, makeHarness) => {
  let h: Harness;
  let store: SecretStore;
  let companyId: string;

  beforeAll(async () => {
    h = await makeHarness();
    store = h.store;
    companyId = await h.newCompany();
  });
  afterAll(async () => {
    await h?.close();
  });

  const ref = (name = `s-${randomBytes(4).toString('hex')}`): SecretRef => ({ companyId, name });

  it('reports its driver and answers ping', async () => {
    expect(store.driver).toBe(driver);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('creates a secret and reads the current value back, the client token being the version id', async () => {
    const r = ref();
    const t = token();
    await expect(store.create({ ...r, value: 'hunter2', clientToken: t, description: 'db password' })).resolves.toEqual(
      { versionId: t },
    );
    await expect(store.getValue(r)).resolves.toEqual({ value: 'hunter2', versionId: t });
  });

  it('keeps values byte for byte (unicode, newlines, JSON)', async () => {
    const r = ref();
    const value = '{"k":"välue ✓ 🔑"}\n-----BEGIN KEY-----\r\n\t  \n';
    await store.create({ ...r, value, clientToken: token() });
    expect((await store.getValue(r)).value).toBe(value);
  });

  it('stores the secret under nembl/{companyId}/{name}', async () => {
    const company = await h.newCompany();
    await store.create({ companyId: company, name: 'deploy-api-token', value: 'x', clientToken: token() });
    expect(await h.storedNames(company)).toEqual([`nembl/${company}/deploy-api-token`]);
  });

  it('makes putValue the new current version while older versions stay readable by id', async () => {
    const r = ref();
    const [t1, t2, t3] = [token(), token(), token()];
    await store.create({ ...r, value: 'one', clientToken: t1 });
    await expect(store.putValue({ ...r, value: 'two', clientToken: t2 })).resolves.toEqual({ versionId: t2 });
    await store.putValue({ ...r, value: 'three', clientToken: t3 });
    await expect(store.getValue(r)).resolves.toEqual({ value: 'three', versionId: t3 });
    await expect(store.getValue({ ...r, versionId: t1 })).resolves.toEqual({ value: 'one', versionId: t1 });
    await expect(store.getValue({ ...r, versionId: t2 })).resolves.toEqual({ value: 'two', versionId: t2 });
    expect((await h.versionIds(r)).sort()).toEqual([t1, t2, t3].sort());
  });

  it('treats a repeated create with the same token and value as a no-op', async () => {
    const r = ref();
    const t = token();
    const first = await store.create({ ...r, value: 'v', clientToken: t });
    const again = await store.create({ ...r, value: 'v', clientToken: t });
    expect(again).toEqual(first);
    expect(await h.versionIds(r)).toEqual([t]);
  });

  it('treats concurrent creates with the same token as one', async () => {
    const r = ref();
    const t = token();
    const results = await Promise.all([1, 2, 3].map(() => store.create({ ...r, value: 'v', clientToken: t })));
    expect(results).toEqual([{ versionId: t }, { versionId: t }, { versionId: t }]);
    expect(await h.versionIds(r)).toEqual([t]);
  });

  it('treats a repeated putValue with the same token and value as a no-op, even after a newer version', async () => {
    const r = ref();
    const [t1, t2, t3] = [token(), token(), token()];
    await store.create({ ...r, value: 'one', clientToken: t1 });
    await store.putValue({ ...r, value: 'two', clientToken: t2 });
    await expect(store.putValue({ ...r, value: 'two', clientToken: t2 })).resolves.toEqual({ versionId: t2 });
    expect((await h.versionIds(r)).sort()).toEqual([t1, t2].sort());
    await store.putValue({ ...r, value: 'three', clientToken: t3 });
    // A late retry of an older operation does not roll the secret back.
    await expect(store.putValue({ ...r, value: 'two', clientToken: t2 })).resolves.toEqual({ versionId: t2 });
    await expect(store.getValue(r)).resolves.toEqual({ value: 'three', versionId: t3 });
  });

  it('rejects a reused token with a different value as Invalid, not retryable, without echoing either value', async () => {
    const r = ref();
    const [t1, t2] = [token(), token()];
    await store.create({ ...r, value: 'canary-first-value', clientToken: t1 });
    await store.putValue({ ...r, value: 'canary-second-value', clientToken: t2 });
    const put = await expectStoreError(
      store.putValue({ ...r, value: 'canary-other-value', clientToken: t2 }),
      'Invalid',
    );
    const create = await expectStoreError(
      store.create({ ...r, value: 'canary-other-value', clientToken: t1 }),
      'Invalid',
    );
    for (const err of [put, create]) expect(err.message).not.toMatch(/canary/);
    await expect(store.getValue(r)).resolves.toEqual({ value: 'canary-second-value', versionId: t2 });
  });

  it('turns create of an existing name into a new version (leftover of a failed create)', async () => {
    const r = ref();
    const [t1, t2] = [token(), token()];
    await store.create({ ...r, value: 'old', clientToken: t1 });
    await expect(store.create({ ...r, value: 'new', clientToken: t2 })).resolves.toEqual({ versionId: t2 });
    await expect(store.getValue(r)).resolves.toEqual({ value: 'new', versionId: t2 });
    expect((await h.versionIds(r)).sort()).toEqual([t1, t2].sort());
  });

  it('answers NotFound for a missing secret, a missing version and putValue on a missing secret', async () => {
    const r = ref();
    await expectStoreError(store.getValue(r), 'NotFound');
    await expectStoreError(store.putValue({ ...r, value: 'v', clientToken: token() }), 'NotFound');
    await store.create({ ...r, value: 'v', clientToken: token() });
    await expectStoreError(store.getValue({ ...r, versionId: token() }), 'NotFound');
  });

  it('deletes permanently and idempotently, and the name can be created again', async () => {
    const r = ref();
    const t1 = token();
    await store.create({ ...r, value: 'before', clientToken: t1 });
    await store.delete(r);
    await expectStoreError(store.getValue(r), 'NotFound');
    await expectStoreError(store.getValue({ ...r, versionId: t1 }), 'NotFound');
    await expect(store.delete(r)).resolves.toBeUndefined();
    await expect(store.delete(ref())).resolves.toBeUndefined();

    const t2 = token();
    await expect(store.create({ ...r, value: 'after', clientToken: t2 })).resolves.toEqual({ versionId: t2 });
    await expect(store.getValue(r)).resolves.toEqual({ value: 'after', versionId: t2 });
    // Nothing of the deleted secret survives into the new one.
    expect(await h.versionIds(r)).toEqual([t2]);
    await expectStoreError(store.getValue({ ...r, versionId: t1 }), 'NotFound');
  });

  it('accepts values of 1 to 65,536 bytes, counting UTF-8 bytes, and rejects the rest as Invalid', async () => {
    const r = ref();
    const max = 'a'.repeat(65_536);
    await store.create({ ...r, value: max, clientToken: token() });
    expect((await store.getValue(r)).value).toBe(max);
    await store.putValue({ ...r, value: 'x', clientToken: token() });

    await expectStoreError(store.putValue({ ...r, value: 'a'.repeat(65_537), clientToken: token() }), 'Invalid');
    // '€' is 3 bytes: 21,845 of them plus one ASCII byte is exactly the limit…
    const euros = '€'.repeat(21_845) + 'a';
    await store.putValue({ ...r, value: euros, clientToken: token() });
    expect((await store.getValue(r)).value).toBe(euros);
    // …and 21,846 of them are 65,538 bytes although only 21,846 characters.
    await expectStoreError(store.putValue({ ...r, value: '€'.repeat(21_846), clientToken: token() }), 'Invalid');
    await expectStoreError(store.putValue({ ...r, value: '', clientToken: token() }), 'Invalid');
    await expectStoreError(store.create({ ...ref(), value: '', clientToken: token() }), 'Invalid');
    await expectStoreError(store.create({ ...ref(), value: 'b'.repeat(65_537), clientToken: token() }), 'Invalid');
  });

  it('rejects tokens outside 32–64 characters and descriptions over 2048 characters as Invalid', async () => {
    await expectStoreError(store.create({ ...ref(), value: 'v', clientToken: 'x'.repeat(31) }), 'Invalid');
    await expectStoreError(store.create({ ...ref(), value: 'v', clientToken: 'x'.repeat(65) }), 'Invalid');
    await expectStoreError(
      store.create({ ...ref(), value: 'v', clientToken: token(), description: 'd'.repeat(2049) }),
      'Invalid',
    );
    const r = ref();
    await store.create({ ...r, value: 'v', clientToken: 'x'.repeat(64), description: 'd'.repeat(2048) });
    await expectStoreError(store.getValue({ ...r, versionId: 'short' }), 'Invalid');
  });

  it('keeps companies apart: the same name in two companies holds two secrets', async () => {
    const other = await h.newCompany();
    const name = 'shared-name';
    await store.create({ companyId, name, value: 'mine', clientToken: token() });
    await store.create({ companyId: other, name, value: 'theirs', clientToken: token() });
    expect((await store.getValue({ companyId, name })).value).toBe('mine');
    expect((await store.getValue({ companyId: other, name })).value).toBe('theirs');
    await store.delete({ companyId: other, name });
    expect((await store.getValue({ companyId, name })).value).toBe('mine');
  });
});
