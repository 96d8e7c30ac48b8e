import type { Message } from 'kafkajs';

/**
 * Bytes of records per produce request. The broker refuses a partition's record batch over `message.max.bytes`
 * (1 MiB by default) and kafkajs puts all of a request's records for one partition in one batch, so a request
 * stays well below that whatever the partitioning.
 */
export const MAX_SEND_BYTES = 512 * 1024;

/** Per-record overhead in a batch (lengths, offsets, timestamps, headers' framing), rounded up. */
const RECORD_OVERHEAD_BYTES = 64;

/** A record for a topic, as the publisher and a consumer's transaction write it. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly message: Message;
}

/** About what a record takes in a produce request. */
export function recordBytes(message: Message): number {
  const valueBytes = message.value === null || message.value === undefined ? 0 : Buffer.byteLength(message.value);
  const keyBytes = message.key === null || message.key === undefined ? 0 : Buffer.byteLength(message.key);
  let headerBytes = 0;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headerBytes += name.length + (typeof value === 'string' || Buffer.isBuffer(value) ? Buffer.byteLength(value) : 0);
  }
  return valueBytes + keyBytes + headerBytes + RECORD_OVERHEAD_BYTES;
}

/**
 * Records split into produce requests of at most `maxBytes` each (a record larger than that goes alone), in
 * order, each grouped by topic as kafkajs's `sendBatch` takes them.
 */
export function sendChunks(
  records: readonly OutgoingRecord[],
  maxBytes = MAX_SEND_BYTES,
): { topic: string; messages: Message[] }[][] {
  const chunks: { topic: string; messages: Message[] }[][] = [];
  let byTopic = new Map<string, Message[]>();
  let bytes = 0;
  const flush = () => {
    if (byTopic.size > 0) chunks.push([...byTopic].map(([topic, messages]) => ({ topic, messages })));
    byTopic = new Map();
    bytes = 0;
  };
  for (const record of records) {
    const size = recordBytes(record.message);
    if (bytes > 0 && bytes + size > maxBytes) flush();
    let messages = byTopic.get(record.topic);
    if (!messages) byTopic.set(record.topic, (messages = []));
    messages.push(record.message);
    bytes += size;
  }
  flush();
  return chunks;
}
