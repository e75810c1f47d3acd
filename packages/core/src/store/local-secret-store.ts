import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { deriveKey, SealError, seal, unseal } from '../crypto/seal.js';
import type { Queryable } from '../db/sql-fns.js';
import { localStoreRepositoryFactory } from './local-store-repository.js';
import { validateRef, validateVersionToken, validateWrite } from './store-fns.js';
import { StoreError, storePath, type SecretRef, type SecretStore } from './store-types.js';

export interface LocalSecretStoreOptions {
  dataSource: Pick<DataSource, 'query' | 'transaction'>;
  /** NEMBL_MASTER_KEY (32 bytes). Only a key derived from it ever touches data keys. */
  masterKey: Buffer;
  /**
   * Commit a new secret without waiting for its WAL flush. Only for a caller that relies on a
   * write once a later synchronous commit of its own has happened, which flushes the WAL up to
   * and past this one: the worker, whose finishing statement (synchronous) is what makes the
   * write count. Lost with a Postgres crash before that, the write is simply redone (same token).
   */
  deferFlush?: boolean;
}

const valueAad = (companyId: string, name: string, versionId: string) => `${companyId}|${name}|${versionId}`;

// SQLSTATE classes worth retrying: connection (08), serialization/deadlock (40), resources (53),
// operator intervention such as a restart (57).
const TRANSIENT_SQLSTATE = /^(08|40|53|57)/;

/** Postgres/driver failures → StoreError, naming the SQLSTATE but never the query or its parameters. */
const toStoreError = (op: string, what: string, err: unknown): StoreError => {
  if (err instanceof StoreError) return err;
  if (err instanceof SealError) {
    return new StoreError(
      'AccessDenied',
      `local store ${op} for ${what}: stored ciphertext does not open with this master key`,
      false,
    );
  }
  const code =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  if (code === '23503') return new StoreError('Invalid', `local store ${op} for ${what}: unknown company`, false);
  if (code === '22P02') return new StoreError('Invalid', `local store ${op} for ${what}: malformed identifier`, false);
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !TRANSIENT_SQLSTATE.test(code)) {
    return new StoreError('Invalid', `local store ${op} for ${what} failed (SQLSTATE ${code})`, false);
  }
  return new StoreError(
    'Unavailable',
    `local store ${op} for ${what} failed (${code ?? 'database unreachable'})`,
    true,
  );
};

/**
 * The embedded store: values sealed with AES-256-GCM under a random per-company data key, which
 * is stored wrapped by a key derived from the master key. Unwrapped data keys are cached in
 * memory for the life of the process and never logged.
 */
export const localSecretStoreFactory = ({
  dataSource,
  masterKey,
  deferFlush = false,
}: LocalSecretStoreOptions): SecretStore => {
  if (masterKey.length !== 32) throw new RangeError('masterKey must be 32 bytes');
  const kek = deriveKey(masterKey, 'local-store-kek');
  const dataKeys = new Map<string, Promise<Buffer>>();
  const repo = localStoreRepositoryFactory({ dataSource, deferFlush });

  const loadDataKey = async (companyId: string): Promise<Buffer> => {
    let wrapped = await repo.findWrappedKey(companyId);
    if (!wrapped) {
      const fresh = randomBytes(32);
      // Concurrent first writes (other requests, other processes) race here; the first insert
      // wins and everyone re-reads that one key, so a company never ends up with two.
      await repo.insertWrappedKey(companyId, seal(kek, fresh, companyId));
      fresh.fill(0);
      wrapped = await repo.findWrappedKey(companyId);
    }
    if (!wrapped) throw new StoreError('Unavailable', 'local store data key vanished while being created', true);
    return unseal(kek, wrapped, companyId);
  };

  const dataKey = (companyId: string): Promise<Buffer> => {
    let key = dataKeys.get(companyId);
    if (!key) {
      key = loadDataKey(companyId);
      dataKeys.set(companyId, key);
      // A failed load must not stick: the next call tries again.
      key.catch(() => dataKeys.delete(companyId));
    }
    return key;
  };

  const guard = async <T>(op: string, what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(op, what, err);
    }
  };

  const sameValue = (key: Buffer, ref: SecretRef, versionId: string, stored: Buffer, value: string): boolean => {
    const a = unseal(key, stored, valueAad(ref.companyId, ref.name, versionId));
    const b = Buffer.from(value, 'utf8');
    const equal = a.length === b.length && timingSafeEqual(a, b);
    a.fill(0);
    b.fill(0);
    return equal;
  };

  /** Adds version `clientToken` to an existing secret (or confirms it is already there). */
  const addVersion = async (
    m: Queryable,
    key: Buffer,
    input: SecretRef & { value: string; clientToken: string },
    ciphertext: Buffer,
  ) => {
    const { companyId, name, clientToken } = input;
    if (!(await repo.lockSecret(m, companyId, name))) return undefined;
    const existing = await repo.findVersion(m, companyId, name, clientToken);
    if (existing) {
      if (!sameValue(key, input, clientToken, existing, input.value)) {
        throw new StoreError(
          'Invalid',
          `clientToken was already used for a different value of ${storePath(input)}`,
          false,
        );
      }
      return { versionId: clientToken };
    }
    await repo.appendVersion(m, { companyId, name, versionId: clientToken, ciphertext });
    return { versionId: clientToken };
  };

  const write = async (mode: 'create' | 'put', input: SecretRef & { value: string; clientToken: string }) => {
    const { companyId, name, clientToken } = input;
    const key = await dataKey(companyId);
    const plaintext = Buffer.from(input.value, 'utf8');
    const ciphertext = seal(key, plaintext, valueAad(companyId, name, clientToken));
    plaintext.fill(0);
    // The usual create, a new name: secret and first version in one statement (shared by the
    // creates that arrive together). A name that exists already takes the transaction below.
    if (mode === 'create' && (await repo.createNew({ companyId, name, versionId: clientToken, ciphertext })))
      return { versionId: clientToken };
    return repo.inTransaction(async (m) => {
      const added = await addVersion(m, key, input, ciphertext);
      if (added) return added;
      if (mode === 'create') {
        // It existed a moment ago and was deleted between our two statements: just try again.
        throw new StoreError('Unavailable', `secret ${storePath(input)} was deleted during create`, true);
      }
      throw new StoreError('NotFound', `secret ${storePath(input)} not found`, false);
    });
  };

  const create: SecretStore['create'] = (input) =>
    guard('create', storePath(input), async () => {
      validateWrite(input);
      return write('create', input);
    });

  const putValue: SecretStore['putValue'] = (input) =>
    guard('putValue', storePath(input), async () => {
      validateWrite(input);
      return write('put', input);
    });

  const getValue: SecretStore['getValue'] = (input) =>
    guard('getValue', storePath(input), async () => {
      validateRef(input);
      if (input.versionId !== undefined) validateVersionToken(input.versionId, 'versionId');
      const found = await repo.findValue(input.companyId, input.name, input.versionId ?? null);
      if (!found) {
        const what = input.versionId ? 'secret version' : 'secret';
        throw new StoreError('NotFound', `${what} ${storePath(input)} not found`, false);
      }
      const key = await dataKey(input.companyId);
      const value = unseal(key, found.ciphertext, valueAad(input.companyId, input.name, found.versionId));
      return { value: value.toString('utf8'), versionId: found.versionId };
    });

  const del: SecretStore['delete'] = (ref) =>
    guard('delete', storePath(ref), async () => {
      validateRef(ref);
      await repo.remove(ref.companyId, ref.name);
    });

  const ping: SecretStore['ping'] = () => guard('ping', 'the database', () => repo.ping());

  return { driver: 'local', create, putValue, getValue, delete: del, ping };
};

export type TLocalSecretStore = ReturnType<typeof localSecretStoreFactory>;
