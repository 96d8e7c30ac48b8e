import { dropDatabase } from '@hookstream/postgres';
import { Client } from 'pg';
import { stackEnv, uniqueName } from './stack';

/** A database of its own for a test that needs whole tables to itself (a rebuild compares every row). */
export async function createDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix).replaceAll('-', '_');
  await withAdminClient((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(stackEnv.databaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await withAdminClient(async (client) => {
        // A pool's end() resolves before its sockets have closed; FORCE would then end them itself, and the
        // client, already out of its pool, would throw the termination as an unhandled error.
        for (let waited = 0; waited < 10_000; waited += 100) {
          const { rows } = await client.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1',
            [name],
          );
          if (rows[0]?.n === '0') break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await dropDatabase(client, name);
      });
    },
  };
}

async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: stackEnv.databaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
