import {
  type DispatchRequested,
  type OrderedDeliveryFinished,
  type SequenceSkipped,
  type TopicNames,
} from '@hookstream/contracts';
import type { KeySequence } from '@hookstream/delivery';
import {
  type AvroCodec,
  BatchConsumer,
  decodeOrPoison,
  InternalRecordDecoder,
  type Kafka,
  type KafkaMessage,
  type PublishedMessage,
  type Publisher,
  type QuarantineWriter,
  type RegisteredSchemas,
} from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import { isDatabaseUnavailable, type Pool, type PoolClient, withTransaction } from '@hookstream/postgres';
import { type BatchPlan, keyId, type OrderingRecord, planBatch, splitKeyId } from './batch-plan';

/** How long a key's state and its deliveries' numbers are kept once the key is idle. */
export const ORDERING_STATE_RETENTION_DAYS = 30;
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 10_000;

export interface SequencerDeps {
  readonly kafka: Kafka;
  readonly db: Pool;
  readonly codec: AvroCodec;
  readonly schemas: RegisteredSchemas;
  readonly topics: TopicNames;
  readonly publisher: Publisher;
  readonly groupId: string;
  readonly logger: Logger;
  readonly quarantine: QuarantineWriter;
  /** Partitions sequenced at once, each in its own transaction. */
  readonly concurrency: number;
}

/**
 * Per-key ordering for `per-key` endpoints. The fan-out sends their deliveries here unnumbered, and
 * the dispatcher says here when one ended; both keyed by endpoint and ordering key, so one key's
 * records come in order on one partition. Each delivery is numbered 1, 2, … per key and goes to
 * dispatch once the one before it ended; until then it waits in Postgres (the parking area), so a
 * failing key holds back nothing but itself. An end without success is told on the delivery log
 * (`SequenceSkipped`): the receiver will see a gap.
 */
export class Sequencer {
  private readonly consumer: BatchConsumer;
  private pruneTimer?: NodeJS.Timeout;
  private readonly decoder: InternalRecordDecoder<'dispatch-requested' | 'ordered-delivery-finished'>;

  constructor(private readonly deps: SequencerDeps) {
    this.decoder = new InternalRecordDecoder(deps.codec, ['dispatch-requested', 'ordered-delivery-finished']);
    this.consumer = new BatchConsumer({
      kafka: deps.kafka,
      groupId: deps.groupId,
      topics: [deps.topics.ordering],
      logger: deps.logger,
      partitionsConsumedConcurrently: deps.concurrency,
      // Kafka keeps the records meanwhile: ordered deliveries wait, then go in order once Postgres is back.
      outage: { dependency: 'Postgres', isOutage: isDatabaseUnavailable },
      handle: (_topic, partition, messages) => this.sequence(partition, messages),
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.pruneTimer = setInterval(() => {
      pruneOrderingState(this.deps.db).catch((error: unknown) =>
        this.deps.logger.warn({ err: error }, 'ordering state prune failed'),
      );
    }, PRUNE_INTERVAL_MS).unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.consumer.stop();
  }

  /** Waiting deliveries, for the gauge. */
  async waitingCount(): Promise<number> {
    const result = await this.deps.db.query<{ count: string }>('SELECT count(*) AS count FROM ordering_waiting');
    return Number(result.rows[0]?.count ?? 0);
  }

  private async sequence(partition: number, messages: readonly KafkaMessage[]): Promise<void> {
    const records: OrderingRecord[] = [];
    for (const message of messages) {
      const record = await this.decode(message, partition);
      if (record) records.push(record);
    }
    if (records.length === 0) return;
    await withTransaction(this.deps.db, async (client) => {
      const stored = await this.lockKeys(client, records);
      const numberedBefore = await this.numberedBefore(client, records);
      const plan = planBatch(records, stored, numberedBefore, Date.now());
      const released = await this.write(client, plan);
      // Published before the commit: a failure here rolls the batch back and it is sequenced again
      // (a delivery dispatched twice is sent once more at worst: the receiver dedupes on webhook-id).
      await this.publish(plan.send, released, plan.skipped);
    });
  }

  private async decode(message: KafkaMessage, partition: number): Promise<OrderingRecord | undefined> {
    const { quarantine, topics, groupId, logger } = this.deps;
    const decoded = await decodeOrPoison(message.value, (bytes) => this.decoder.decode(bytes));
    if (!decoded.value) {
      // Set aside with its reason before the batch commits: the partition moves on, nothing is lost.
      const reason = decoded.failure?.reason ?? 'not an ordering record';
      logger.warn({ partition, offset: message.offset, reason }, 'ordering record quarantined');
      await quarantine.put(topics.ordering, message, reason, { partition, group: groupId });
      return undefined;
    }
    const { name, record } = decoded.value;
    return name === 'ordered-delivery-finished'
      ? { kind: 'finished', finished: record as OrderedDeliveryFinished }
      : { kind: 'accepted', dispatch: record as DispatchRequested };
  }

  /** The state of every key the batch touches, locked until the commit (another sequencer mid-rebalance waits). */
  private async lockKeys(client: PoolClient, records: readonly OrderingRecord[]): Promise<Map<string, KeySequence>> {
    const endpointIds: string[] = [];
    const orderingKeys: string[] = [];
    for (const record of records) {
      const { endpointId, orderingKey } = record.kind === 'accepted' ? record.dispatch : record.finished;
      endpointIds.push(endpointId);
      orderingKeys.push(orderingKey ?? '');
    }
    const result = await client.query<{
      endpoint_id: string;
      ordering_key: string;
      last_sequence: string;
      finished_through: string;
    }>(
      `SELECT k.endpoint_id, k.ordering_key, k.last_sequence, k.finished_through
         FROM ordering_keys k
         JOIN unnest($1::text[], $2::text[]) AS wanted(endpoint_id, ordering_key)
           ON k.endpoint_id = wanted.endpoint_id AND k.ordering_key = wanted.ordering_key
        ORDER BY k.endpoint_id, k.ordering_key
          FOR UPDATE OF k`,
      [endpointIds, orderingKeys],
    );
    return new Map(
      result.rows.map((row) => [
        keyId(row.endpoint_id, row.ordering_key),
        { lastSequence: Number(row.last_sequence), finishedThrough: Number(row.finished_through) },
      ]),
    );
  }

  /** Deliveries of the batch numbered by an earlier try of it (a redelivered record): not numbered twice. */
  private async numberedBefore(client: PoolClient, records: readonly OrderingRecord[]): Promise<Set<string>> {
    const ids = records.flatMap((record) => (record.kind === 'accepted' ? [record.dispatch.deliveryId] : []));
    if (ids.length === 0) return new Set();
    const result = await client.query<{ delivery_id: string }>(
      'SELECT delivery_id FROM ordering_numbered WHERE delivery_id = ANY($1)',
      [ids],
    );
    return new Set(result.rows.map((row) => row.delivery_id));
  }

  /** Stores the plan; the dispatch requests of earlier batches' waiting deliveries it lets go. */
  private async write(client: PoolClient, plan: BatchPlan): Promise<PublishedMessage[]> {
    const { codec, schemas } = this.deps;
    if (plan.keys.size > 0) {
      const entries = [...plan.keys].map(([id, key]) => Object.assign(splitKeyId(id), key));
      await client.query(
        `INSERT INTO ordering_keys (endpoint_id, ordering_key, last_sequence, finished_through)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[])
         ON CONFLICT (endpoint_id, ordering_key) DO UPDATE
           SET last_sequence = EXCLUDED.last_sequence, finished_through = EXCLUDED.finished_through, updated_at = now()`,
        [
          entries.map((entry) => entry.endpointId),
          entries.map((entry) => entry.orderingKey),
          entries.map((entry) => entry.lastSequence),
          entries.map((entry) => entry.finishedThrough),
        ],
      );
    }
    if (plan.numbered.length > 0) {
      await client.query(
        `INSERT INTO ordering_numbered (delivery_id, endpoint_id, ordering_key, sequence)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
         ON CONFLICT (delivery_id) DO NOTHING`,
        [
          plan.numbered.map((entry) => entry.deliveryId),
          plan.numbered.map((entry) => entry.endpointId),
          plan.numbered.map((entry) => entry.orderingKey),
          plan.numbered.map((entry) => entry.sequence),
        ],
      );
    }
    if (plan.waiting.size > 0) {
      const waiting = [...plan.waiting.values()];
      const encoded = await Promise.all(
        waiting.map((dispatch) => codec.encode(schemas.internal['dispatch-requested'].id, dispatch)),
      );
      await client.query(
        `INSERT INTO ordering_waiting (endpoint_id, ordering_key, sequence, delivery_id, dispatch)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bytea[])
         ON CONFLICT DO NOTHING`,
        [
          waiting.map((dispatch) => dispatch.endpointId),
          waiting.map((dispatch) => dispatch.orderingKey),
          waiting.map((dispatch) => dispatch.sequence),
          waiting.map((dispatch) => dispatch.deliveryId),
          encoded,
        ],
      );
    }
    if (plan.release.length === 0) return [];
    const released = await client.query<{ endpoint_id: string; dispatch: Buffer }>(
      `DELETE FROM ordering_waiting w
        USING unnest($1::text[], $2::text[], $3::bigint[]) AS go(endpoint_id, ordering_key, sequence)
        WHERE w.endpoint_id = go.endpoint_id AND w.ordering_key = go.ordering_key AND w.sequence = go.sequence
        RETURNING w.endpoint_id, w.dispatch`,
      [
        plan.release.map((entry) => entry.endpointId),
        plan.release.map((entry) => entry.orderingKey),
        plan.release.map((entry) => entry.sequence),
      ],
    );
    return released.rows.map((row) => ({ key: row.endpoint_id, value: row.dispatch }));
  }

  /** Dispatch requests (keyed by endpoint, as on the dispatch topic) and the skips, on the delivery log. */
  private async publish(
    send: readonly DispatchRequested[],
    released: readonly PublishedMessage[],
    skipped: readonly SequenceSkipped[],
  ): Promise<void> {
    const { codec, schemas, topics, publisher } = this.deps;
    const dispatchId = schemas.internal['dispatch-requested'].id;
    const toDispatch: PublishedMessage[] = [
      ...(await Promise.all(
        send.map(async (dispatch) => ({ key: dispatch.endpointId, value: await codec.encode(dispatchId, dispatch) })),
      )),
      ...released,
    ];
    const skippedId = schemas.internal['sequence-skipped'].id;
    const toLog: PublishedMessage[] = await Promise.all(
      skipped.map(async (record) => ({ key: record.deliveryId, value: await codec.encode(skippedId, record) })),
    );
    await Promise.all([
      toDispatch.length > 0 ? publisher.publish(topics.dispatch, toDispatch) : undefined,
      toLog.length > 0 ? publisher.publish(topics.deliveryEvents, toLog) : undefined,
    ]);
  }
}

/**
 * Forgets what is no longer needed, a batch at a time: the numbers of deliveries older than the retention
 * (long past any redelivery of their records, which the topics keep 7 days; a redrive after that sends
 * the delivery without its place), and keys idle as long with nothing waiting. A key seen again after
 * that starts over at 1.
 */
export async function pruneOrderingState(
  db: Pool,
  retentionDays = ORDERING_STATE_RETENTION_DAYS,
): Promise<{ numbered: number; keys: number }> {
  const numbered = await db.query(
    `DELETE FROM ordering_numbered WHERE ctid IN (
       SELECT ctid FROM ordering_numbered WHERE numbered_at < now() - make_interval(days => $1) LIMIT $2)`,
    [retentionDays, PRUNE_BATCH],
  );
  const keys = await db.query(
    `DELETE FROM ordering_keys WHERE ctid IN (
       SELECT ctid FROM ordering_keys
        WHERE finished_through = last_sequence AND updated_at < now() - make_interval(days => $1) LIMIT $2)`,
    [retentionDays, PRUNE_BATCH],
  );
  return { numbered: numbered.rowCount ?? 0, keys: keys.rowCount ?? 0 };
}
