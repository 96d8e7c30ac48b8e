import { Pool } from 'pg';
import type { Logger } from 'pino';

export type { Pool };

export function createPool(databaseUrl: string, logger: Logger, max = 10): Pool {
  const pool = new Pool({ connectionString: databaseUrl, max, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection (Postgres restarted) must not crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle Postgres connection failed'));
  // Nor may a checked-out one (a transaction, a LISTEN): pg emits 'error' on it as well as failing its
  // query, and the pool listens only while the client is idle. The query's caller handles the failure.
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.debug({ err: error }, 'Postgres connection failed while in use')),
  );
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

export type { PoolClient } from 'pg';

/** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: import('pg').PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
