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
      await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
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
