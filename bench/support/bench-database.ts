import type { Logger } from '@hookstream/observability';
import { createPool, dropDatabase, type Pool } from '@hookstream/postgres';

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * A database of the benchmark's own on the stack's Postgres (the role may create databases), so its
 * millions of rows never touch the shared one and dropping it removes everything at once.
 */
export async function createBenchDatabase(serverUrl: string, name: string, logger: Logger): Promise<BenchDatabase> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a safe database name: ${name}`);
  const admin: Pool = createPool(serverUrl, logger, 1);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const pool = createPool(serverUrl, logger, 1);
      try {
        // A connection left behind by a crashed producer must not keep the database alive.
        await dropDatabase(pool, name);
      } finally {
        await pool.end();
      }
    },
  };
}
