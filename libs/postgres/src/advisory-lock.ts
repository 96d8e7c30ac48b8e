import type { Pool } from 'pg';

/**
 * Runs `work` while this process holds the session advisory lock `key`, unless another session holds
 * it; answers whether `work` ran. The lock's connection is dropped rather than pooled if the unlock
 * fails: a lock left on a pooled connection would keep every later try out.
 */
export async function whileHoldingAdvisoryLock(pool: Pool, key: number, work: () => Promise<void>): Promise<boolean> {
  const client = await pool.connect();
  let isConnectionBroken = false;
  try {
    const { rows } = await client.query<{ acquired: boolean }>('SELECT pg_try_advisory_lock($1) AS acquired', [key]);
    if (!rows[0]?.acquired) return false;
    try {
      await work();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => (isConnectionBroken = true));
    }
    return true;
  } finally {
    client.release(isConnectionBroken);
  }
}
