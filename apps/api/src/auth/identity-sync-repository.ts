import { IDENTITY_CHANNEL } from '@nembl/core';
import type { DataSource } from 'typeorm';

/** Application name of every API process's identity LISTEN connection (see compose.ts). */
export const IDENTITY_LISTENER_NAME = 'nembl-api-identity';

export const identitySyncRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  /** How many identity listeners (API processes) are connected to this database now. */
  countListeners: async (): Promise<number> => {
    const rows: Array<{ n: number }> = await dataSource.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [IDENTITY_LISTENER_NAME],
    );
    return rows[0]?.n ?? 0;
  },

  notify: async (payload: string): Promise<void> => {
    await dataSource.query(`SELECT pg_notify($1, $2)`, [IDENTITY_CHANNEL, payload]);
  },
});

export type IdentitySyncRepository = ReturnType<typeof identitySyncRepositoryFactory>;
