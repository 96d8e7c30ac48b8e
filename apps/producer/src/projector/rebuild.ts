import type { Admin, AvroCodec, Kafka } from '@hookstream/kafka';
import { replayLog, type ReplayRange } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import { type Pool, type PoolClient, withTransaction } from '@hookstream/postgres';
import { DeliveryLogWriter } from './delivery-log-writer';
import { DeliveryLogDecoder } from './log-records';
import {
  DELIVERY_LOG_TABLES,
  type DeliveryLogTable,
  LIVE_TABLES,
  prefixedTables,
  PROJECTION,
  PROJECTION_LOCK,
} from './projection-tables';

const REBUILT = prefixedTables('rebuild_');
const REPLACED = prefixedTables('rebuild_old_');

export interface TableComparison {
  readonly table: DeliveryLogTable;
  readonly rows: number;
  /** Rows only the live tables hold, and rows only the rebuilt ones hold (as JSON, a few of each). */
  readonly onlyLive: number;
  readonly onlyRebuilt: number;
  readonly samples: readonly string[];
}

export interface RebuildReport {
  /** The cut: per partition, the next offset both the live and the rebuilt tables have applied. */
  readonly cut: ReadonlyMap<number, bigint>;
  readonly records: number;
  readonly tables: readonly TableComparison[];
  readonly isIdentical: boolean;
  readonly swapped: boolean;
}

export interface RebuildProgress {
  /** The number of records to replay grew (the cut was taken). */
  total(records: number): void;
  applied(records: number): void;
}

/**
 * Rebuilds the delivery-log projections from offset 0 while the engine runs. Replays into fresh
 * tables up to where the live projector is, then pauses it (the projection lock, exclusively), takes
 * the cut from its offsets, replays the rest, compares the two sets of tables row by row at that
 * cut, swaps the rebuilt tables in (unless `swap` is false) and lets the projector resume.
 */
export async function rebuildProjections(deps: {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly db: Pool;
  readonly codec: AvroCodec;
  readonly topic: string;
  readonly logger: Logger;
  readonly swap: boolean;
  readonly progress?: RebuildProgress;
}): Promise<RebuildReport> {
  const writer = new DeliveryLogWriter(new DeliveryLogDecoder(deps.codec), REBUILT);
  const partitions = (await deps.admin.fetchTopicOffsets(deps.topic)).map((offsets) => offsets.partition);
  let records = 0;
  const replay = async (ranges: ReplayRange[]) => {
    deps.progress?.total(records + ranges.reduce((sum, range) => sum + Number(range.to - range.from), 0));
    await replayLog({
      kafka: deps.kafka,
      admin: deps.admin,
      topic: deps.topic,
      name: `${deps.topic}-rebuild`,
      ranges,
      apply: (_, messages) => withTransaction(deps.db, (client) => writer.apply(client, messages)),
      onProgress: (count) => {
        records += count;
        deps.progress?.applied(count);
      },
    });
  };

  await createRebuiltTables(deps.db);
  // Most of the work happens while the projector runs: up to where it was when we started.
  const start = await projectedOffsets(deps.db, deps.topic, partitions);
  await replay(partitions.map((partition) => ({ partition, from: 0n, to: start.get(partition) ?? 0n })));

  const lock = await deps.db.connect();
  let swapped = false;
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [PROJECTION_LOCK]);
    deps.logger.info('projector paused');
    const cut = await projectedOffsets(lock, deps.topic, partitions);
    await replay(
      partitions.map((partition) => ({
        partition,
        from: start.get(partition) ?? 0n,
        to: cut.get(partition) ?? 0n,
      })),
    );
    const tables = [];
    for (const table of DELIVERY_LOG_TABLES) tables.push(await compare(lock, table));
    if (deps.swap) {
      await swapIn(lock);
      swapped = true;
    }
    const isIdentical = tables.every((table) => table.onlyLive === 0 && table.onlyRebuilt === 0);
    return { cut, records, tables, isIdentical, swapped };
  } finally {
    if (!swapped) await dropTables(lock, REBUILT).catch(() => undefined);
    await lock.query('SELECT pg_advisory_unlock($1)', [PROJECTION_LOCK]).catch(() => undefined);
    lock.release();
    deps.logger.info('projector resumed');
  }
}

async function createRebuiltTables(db: Pool): Promise<void> {
  await withTransaction(db, async (client) => {
    await dropTables(client, REBUILT);
    for (const table of DELIVERY_LOG_TABLES)
      await client.query(`CREATE TABLE ${REBUILT[table]} (LIKE ${LIVE_TABLES[table]} INCLUDING ALL)`);
  });
}

async function dropTables(client: PoolClient | Pool, tables: Readonly<Record<DeliveryLogTable, string>>) {
  await client.query(`DROP TABLE IF EXISTS ${DELIVERY_LOG_TABLES.map((table) => tables[table]).join(', ')}`);
}

/** Where the live projector is: the next offset it will apply, per partition. */
async function projectedOffsets(
  client: PoolClient | Pool,
  topic: string,
  partitions: readonly number[],
): Promise<Map<number, bigint>> {
  const { rows } = await client.query<{ partition: number; next_offset: string }>(
    'SELECT partition, next_offset FROM projection_offsets WHERE projection = $1 AND topic = $2',
    [PROJECTION, topic],
  );
  const offsets = new Map(partitions.map((partition) => [partition, 0n]));
  for (const row of rows) offsets.set(row.partition, BigInt(row.next_offset));
  return offsets;
}

/** Row-by-row, as multisets: what one table holds and the other does not. */
async function compare(client: PoolClient, table: DeliveryLogTable): Promise<TableComparison> {
  const [live, rebuilt] = [LIVE_TABLES[table], REBUILT[table]];
  const { rows } = await client.query<{ rows: string; only_live: string; only_rebuilt: string }>(
    `SELECT (SELECT count(*) FROM ${live}) AS rows,
            (SELECT count(*) FROM (TABLE ${live} EXCEPT ALL TABLE ${rebuilt}) d) AS only_live,
            (SELECT count(*) FROM (TABLE ${rebuilt} EXCEPT ALL TABLE ${live}) d) AS only_rebuilt`,
  );
  const counts = rows[0] as { rows: string; only_live: string; only_rebuilt: string };
  const samples = await client.query<{ side: string; row: unknown }>(
    `(SELECT 'live' AS side, row_to_json(d) AS row FROM (TABLE ${live} EXCEPT ALL TABLE ${rebuilt}) d LIMIT 3)
     UNION ALL
     (SELECT 'rebuilt', row_to_json(d) FROM (TABLE ${rebuilt} EXCEPT ALL TABLE ${live}) d LIMIT 3)`,
  );
  return {
    table,
    rows: Number(counts.rows),
    onlyLive: Number(counts.only_live),
    onlyRebuilt: Number(counts.only_rebuilt),
    samples: samples.rows.map((sample) => `only ${sample.side}: ${JSON.stringify(sample.row)}`),
  };
}

/**
 * Renames the rebuilt tables into place in one transaction, and their indexes to the live names, so
 * the schema reads as the migrations made it.
 */
async function swapIn(client: PoolClient): Promise<void> {
  await client.query('BEGIN');
  try {
    for (const table of DELIVERY_LOG_TABLES) {
      const liveIndexes = await indexesOf(client, LIVE_TABLES[table]);
      const rebuiltIndexes = await indexesOf(client, REBUILT[table]);
      await client.query(`ALTER TABLE ${LIVE_TABLES[table]} RENAME TO ${REPLACED[table]}`);
      await client.query(`ALTER TABLE ${REBUILT[table]} RENAME TO ${LIVE_TABLES[table]}`);
      await client.query(`DROP TABLE ${REPLACED[table]}`);
      for (const [definition, name] of rebuiltIndexes) {
        const liveName = liveIndexes.get(definition);
        if (liveName === undefined) throw new Error(`no live index of ${table} like ${definition}`);
        // Renaming a constraint's index renames the constraint too.
        await client.query(`ALTER INDEX ${name} RENAME TO ${liveName}`);
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** A table's indexes by definition (what follows `ON <table>`), to their names. */
async function indexesOf(client: PoolClient, table: string): Promise<Map<string, string>> {
  const { rows } = await client.query<{ indexname: string; indexdef: string }>(
    'SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1',
    [table],
  );
  return new Map(
    rows.map((row) => {
      const match = /^CREATE (UNIQUE )?INDEX \S+ ON \S+ (.*)$/.exec(row.indexdef);
      if (!match) throw new Error(`unexpected index definition: ${row.indexdef}`);
      return [`${match[1] ?? ''}${match[2]}`, row.indexname];
    }),
  );
}
