import type { EventEnvelope } from '@hookstream/contracts';
import { type Admin, type AvroCodec, decodeOrPoison, type Kafka, replayLog } from '@hookstream/kafka';

/**
 * How far a record's broker timestamp may stray from its event's `createdAt`: a platform service may
 * publish an event some time after creating it. The offsets are found by broker time with this margin,
 * and events are then kept by `createdAt` exactly.
 */
const CLOCK_MARGIN_MS = 15 * 60_000;

export interface LoggedEvent {
  readonly envelope: EventEnvelope;
  /** The event as it was written (Avro, Confluent framing): what a delivery sends. */
  readonly bytes: Buffer;
}

export class TooManyEvents extends Error {}

/**
 * Reads `hookstream.events` from the offsets of `since` to those of `until` (found by timestamp) and
 * returns the events `keep` accepts, in log order per partition. Records that cannot be decoded were
 * quarantined by the fan-out when they were written and are skipped here; a registry outage fails the
 * read. At most `limit` events are kept: past that it fails with `TooManyEvents` rather than hold an
 * unbounded range in memory.
 */
export async function eventsInRange(options: {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly codec: AvroCodec;
  readonly topic: string;
  readonly since: number;
  readonly until: number;
  readonly limit: number;
  keep(envelope: EventEnvelope, headers: Readonly<Record<string, unknown>> | undefined): boolean;
}): Promise<LoggedEvent[]> {
  const { admin, topic } = options;
  const [starts, ends] = await Promise.all([
    admin.fetchTopicOffsetsByTimestamp(topic, options.since - CLOCK_MARGIN_MS),
    // Up to the end of the log when the margin reaches past now: no record is later than that yet.
    options.until + CLOCK_MARGIN_MS >= Date.now()
      ? admin
          .fetchTopicOffsets(topic)
          .then((offsets) => offsets.map(({ partition, high }) => ({ partition, offset: high })))
      : admin.fetchTopicOffsetsByTimestamp(topic, options.until + CLOCK_MARGIN_MS),
  ]);
  const endOf = new Map(ends.map(({ partition, offset }) => [partition, BigInt(offset)]));
  const kept: LoggedEvent[] = [];
  await replayLog({
    kafka: options.kafka,
    admin,
    topic,
    name: `${topic}-replay`,
    ranges: starts.map(({ partition, offset }) => ({
      partition,
      from: BigInt(offset),
      to: endOf.get(partition) ?? BigInt(offset),
    })),
    apply: async (_partition, messages) => {
      for (const message of messages) {
        const decoded = await decodeOrPoison(message.value, (bytes) => options.codec.decode<EventEnvelope>(bytes));
        if (decoded.failure || !message.value) continue;
        const envelope = decoded.value.value;
        if (!options.keep(envelope, message.headers)) continue;
        if (kept.length >= options.limit) throw new TooManyEvents(`more than ${options.limit} events match`);
        kept.push({ envelope, bytes: message.value });
      }
    },
  });
  return kept;
}
