import type { DataSource } from 'typeorm';

/** What readiness asks of Postgres: one round trip on the pool the requests use. */
export const healthRepositoryFactory = ({ dataSource }: { dataSource: DataSource }) => ({
  ping: async (): Promise<void> => {
    await dataSource.query('SELECT 1');
  },
});

export type HealthRepository = ReturnType<typeof healthRepositoryFactory>;
