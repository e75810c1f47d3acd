import type { DataSource } from 'typeorm';
import { batchWhileBusy } from '../db/batch-while-busy.js';
import { preparedQuery } from '../db/prepared-query.js';
import type { Queryable } from '../db/sql-fns.js';

const rows = async <T>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> =>
  (await q.query(sql, params)) as T[];

/** A first version to write for a name the store may not hold yet (`createNew`). */
export interface NewLocalSecret {
  companyId: string;
  name: string;
  versionId: string;
  ciphertext: Buffer;
}

/**
 * The local store's tables: `local_store_keys` (one wrapped data key per company),
 * `local_store_secrets` (a name and its current version) and `local_store_versions` (sealed values,
 * by version id). Only ciphertext and wrapped keys pass through here; sealing stays with the store.
 */
export const localStoreRepositoryFactory = ({
  dataSource,
  deferFlush = false,
}: {
  dataSource: Pick<DataSource, 'query' | 'transaction'>;
  /** `createNew` commits without waiting for its WAL flush (see `LocalSecretStoreOptions.deferFlush`). */
  deferFlush?: boolean;
}) => {
  const prepared = preparedQuery(dataSource);

  /** New names in one statement; true for each that was new (and now holds its first version). */
  const createNew = batchWhileBusy<NewLocalSecret, boolean>({
    keyOf: (c) => `${c.companyId}/${c.name}`,
    run: async (batch) => {
      const created = await prepared<{ company_id: string; name: string }>(
        deferFlush ? 'local-store-create-deferred' : 'local-store-create',
        `WITH input AS (
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[]) AS i(company_id, name, token, ciphertext)),
         s AS (
           INSERT INTO local_store_secrets (company_id, name, current_version_id) SELECT company_id, name, token FROM input
           ON CONFLICT (company_id, name) DO NOTHING RETURNING company_id, name),
         v AS (
           INSERT INTO local_store_versions (company_id, name, version_id, seq, ciphertext)
           SELECT i.company_id, i.name, i.token, 1, i.ciphertext FROM s JOIN input i USING (company_id, name)
           RETURNING company_id, name)
         SELECT ${deferFlush ? `set_config('synchronous_commit', 'off', true) AS deferred, ` : ''}company_id, name FROM v`,
        [
          batch.map((c) => c.companyId),
          batch.map((c) => c.name),
          batch.map((c) => c.versionId),
          batch.map((c) => c.ciphertext),
        ],
      );
      const made = new Set(created.map((r) => `${r.company_id}/${r.name}`));
      return batch.map((c) => made.has(`${c.companyId}/${c.name}`));
    },
  });

  return {
    /** The company's wrapped data key, if it has one. */
    findWrappedKey: async (companyId: string): Promise<Buffer | undefined> =>
      (
        await rows<{ wrapped_key: Buffer }>(
          dataSource,
          `SELECT wrapped_key FROM local_store_keys WHERE company_id = $1`,
          [companyId],
        )
      )[0]?.wrapped_key,

    /** Stores a wrapped data key unless the company has one already (the first insert wins). */
    insertWrappedKey: async (companyId: string, wrapped: Buffer): Promise<void> => {
      await dataSource.query(
        `INSERT INTO local_store_keys (company_id, wrapped_key) VALUES ($1, $2) ON CONFLICT (company_id) DO NOTHING`,
        [companyId, wrapped],
      );
    },

    createNew,

    /** Runs `work` in one transaction. */
    inTransaction: <T>(work: (m: Queryable) => Promise<T>): Promise<T> => dataSource.transaction(work),

    /**
     * Locks the secret's row until the transaction ends (writers of one secret take turns, so seq
     * and the current version stay consistent); false when there is no such secret.
     */
    lockSecret: async (m: Queryable, companyId: string, name: string): Promise<boolean> =>
      (
        await rows(m, `SELECT 1 FROM local_store_secrets WHERE company_id = $1 AND name = $2 FOR UPDATE`, [
          companyId,
          name,
        ])
      ).length > 0,

    /** The ciphertext stored under one version id, if any. */
    findVersion: async (
      m: Queryable,
      companyId: string,
      name: string,
      versionId: string,
    ): Promise<Buffer | undefined> =>
      (
        await rows<{ ciphertext: Buffer }>(
          m,
          `SELECT ciphertext FROM local_store_versions WHERE company_id = $1 AND name = $2 AND version_id = $3`,
          [companyId, name, versionId],
        )
      )[0]?.ciphertext,

    /** Appends a version (next seq) and makes it current; the caller holds `lockSecret`. */
    appendVersion: async (m: Queryable, v: NewLocalSecret): Promise<void> => {
      await m.query(
        `INSERT INTO local_store_versions (company_id, name, version_id, seq, ciphertext)
         SELECT $1::uuid, $2::text, $3::text, COALESCE(MAX(seq), 0) + 1, $4::bytea
           FROM local_store_versions WHERE company_id = $1::uuid AND name = $2::text`,
        [v.companyId, v.name, v.versionId, v.ciphertext],
      );
      await m.query(`UPDATE local_store_secrets SET current_version_id = $3 WHERE company_id = $1 AND name = $2`, [
        v.companyId,
        v.name,
        v.versionId,
      ]);
    },

    /** A version's id and ciphertext: `versionId`, or the current one when null. */
    findValue: async (
      companyId: string,
      name: string,
      versionId: string | null,
    ): Promise<{ versionId: string; ciphertext: Buffer } | undefined> => {
      const [found] = await rows<{ version_id: string; ciphertext: Buffer }>(
        dataSource,
        `SELECT v.version_id, v.ciphertext
           FROM local_store_secrets s
           JOIN local_store_versions v
             ON v.company_id = s.company_id AND v.name = s.name AND v.version_id = COALESCE($3::text, s.current_version_id)
          WHERE s.company_id = $1 AND s.name = $2`,
        [companyId, name, versionId],
      );
      return found && { versionId: found.version_id, ciphertext: found.ciphertext };
    },

    /** Deletes a secret; its versions go with it (ON DELETE CASCADE), the company's data key stays. */
    remove: async (companyId: string, name: string): Promise<void> => {
      await dataSource.query(`DELETE FROM local_store_secrets WHERE company_id = $1 AND name = $2`, [companyId, name]);
    },

    ping: async (): Promise<void> => {
      await dataSource.query('SELECT 1');
    },
  };
};

export type LocalStoreRepository = ReturnType<typeof localStoreRepositoryFactory>;
