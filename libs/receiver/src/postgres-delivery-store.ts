import type { DeliveryStore } from './delivery-store';

/**
 * The one method the store uses, which a `pg` `Pool` or `Client` has: the kit needs no import of `pg`,
 * and merchants pass the pool they already run.
 */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rowCount: number | null }>;
}

export interface PostgresDeliveryStoreOptions {
  /** `webhook_deliveries` by default; may be schema-qualified (`billing.webhook_deliveries`). */
  readonly table?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/**
 * A store shared by every instance of the receiver and kept across restarts. It creates its table on
 * first use; a claim is one `INSERT … ON CONFLICT`, atomic under concurrent duplicates, which also
 * takes over a row whose claim expired.
 */
export class PostgresDeliveryStore implements DeliveryStore {
  private readonly table: string;
  private schemaReady: Promise<void> | undefined;

  constructor(
    private readonly client: SqlClient,
    { table = 'webhook_deliveries' }: PostgresDeliveryStoreOptions = {},
  ) {
    // The name is spliced into SQL, so only plain identifiers are accepted.
    if (!IDENTIFIER.test(table)) throw new Error(`invalid table name: ${table}`);
    this.table = table;
  }

  /** Creates the table and its index if missing; called by the first claim, or at start to fail early. */
  ensureSchema(): Promise<void> {
    this.schemaReady ??= this.createSchema().catch((error: unknown) => {
      this.schemaReady = undefined;
      throw error;
    });
    return this.schemaReady;
  }

  async claim(webhookId: string, ttlMs: number): Promise<boolean> {
    if (!(ttlMs >= 0)) throw new Error('ttlMs must be zero or more');
    await this.ensureSchema();
    // No row: inserted. A live row: the WHERE fails, nothing changes, rowCount 0. An expired row: reclaimed.
    const result = await this.client.query(
      `INSERT INTO ${this.table} AS claimed (webhook_id, received_at, expires_at)
       VALUES ($1, now(), now() + $2 * interval '1 millisecond')
       ON CONFLICT (webhook_id) DO UPDATE
         SET received_at = excluded.received_at, expires_at = excluded.expires_at
         WHERE claimed.expires_at <= now()`,
      [webhookId, ttlMs],
    );
    return result.rowCount === 1;
  }

  async release(webhookId: string): Promise<void> {
    await this.ensureSchema();
    await this.client.query(`DELETE FROM ${this.table} WHERE webhook_id = $1`, [webhookId]);
  }

  /** Deletes expired rows and answers how many; run it now and then (a daily job) to keep the table small. */
  async purgeExpired(): Promise<number> {
    await this.ensureSchema();
    const result = await this.client.query(`DELETE FROM ${this.table} WHERE expires_at <= now()`);
    return result.rowCount ?? 0;
  }

  private async createSchema(): Promise<void> {
    const indexName = `${this.table.replace('.', '_')}_expires_at_idx`;
    await this.client.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         webhook_id text PRIMARY KEY,
         received_at timestamptz NOT NULL,
         expires_at timestamptz NOT NULL
       )`,
    );
    await this.client.query(`CREATE INDEX IF NOT EXISTS ${indexName} ON ${this.table} (expires_at)`);
  }
}
