/** What `dropDatabase` needs of a connection: a `pg` Client, Pool or PoolClient. */
export interface Queryable {
  query(sql: string): Promise<unknown>;
}

/** SQLSTATEs: the session may not signal a backend; the database still has sessions. */
const INSUFFICIENT_PRIVILEGE = '42501';
const OBJECT_IN_USE = '55006';
const ATTEMPTS = 5;

/**
 * Drops a database of the benchmark's or the tests' own, whoever is still connected to it.
 *
 * `WITH (FORCE)` ends the sessions left behind (a crashed app's), but before PostgreSQL 17 it refuses outright,
 * for want of privilege, when an autovacuum worker is in the database, which happens whenever a run has just
 * written enough rows. A plain `DROP DATABASE` is allowed to cancel autovacuum workers and waits up to 5 s for them
 * to go, but refuses while a session is connected; so each is tried in turn.
 */
export async function dropDatabase(client: Queryable, name: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`not a safe database name: ${name}`);
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    } catch (error) {
      if (sqlState(error) !== INSUFFICIENT_PRIVILEGE || attempt === ATTEMPTS) throw error;
    }
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (error) {
      if (sqlState(error) !== OBJECT_IN_USE) throw error;
    }
  }
}

function sqlState(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
