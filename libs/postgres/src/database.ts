import { Pool } from 'pg';
import type { Logger } from 'pino';

export type { Pool };

export function createPool(databaseUrl: string, logger: Logger, max = 10): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection (Postgres restarted) must not crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed'));
  return pool;
}

export function postgresReadiness(pool: Pool) {
  return {
    name: 'postgres',
    check: async (): Promise<void> => {
      await pool.query('SELECT 1');
    },
  };
}
