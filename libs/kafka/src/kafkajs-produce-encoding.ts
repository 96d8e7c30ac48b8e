import { createRequire } from 'node:module';
import { isFixedKafkajsRelease } from './kafkajs-release';

type Bytes = Buffer | string;

/** A message as kafkajs hands it to its produce request. */
export interface ProduceMessage {
  key?: Bytes | null;
  value?: Bytes | null;
  headers?: Record<string, Bytes | Bytes[] | null | undefined>;
  timestamp?: number | string | null;
}

/** The options of kafkajs's produce request (versions 3 to 7 share its encoding). */
export interface ProduceRequestOptions {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[];
  }[];
}

/** kafkajs's `Encoder`, as the request framing reads an encoded payload: `.buf` checked, `.buffer` copied. */
interface EncoderLike {
  buf: Buffer;
  offset: number;
}

interface ProduceRequest {
  encode(): Promise<EncoderLike>;
}

type ProduceRequestEncoder = (options: ProduceRequestOptions) => ProduceRequest;

/** kafkajs's own helpers, for the fields whose encoding is its choice: 64-bit integers and the batch CRC. */
export interface KafkajsParts {
  /** kafkajs's `Long.fromValue`: a producer id may be a Long, a number or a string. */
  toLong(value: unknown): { getHighBits(): number; getLowBits(): number };
  crc32C(buffer: Buffer): number;
  encoderPrototype: object;
}

/** A record's fields, checked once and measured for writing. */
interface RecordPlan {
  readonly key: Bytes | null;
  readonly value: Bytes | null;
  readonly headers: [string, Bytes][];
  readonly bodySize: number;
}

const COMPRESSION_NONE = 0;
const MAGIC_BYTE = 2;
const TRANSACTIONAL_ATTRIBUTE = 16;
/** Record batch bytes after its length field and before its records (epoch … record count). */
const BATCH_HEADER_SIZE = 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
const VARINT_LIMIT = 2 ** 30;

/**
 * A produce request's payload in one buffer of its exact size, with the bytes kafkajs 2.2.4 writes (magic 2
 * record batches, uncompressed). kafkajs allocates a zeroed 512-byte buffer for every record and a new buffer
 * for every varint, then copies each batch five times as it wraps it: in the benchmark's delivery run,
 * encoding produce requests took a fifth of the producer's busy time.
 *
 * Returns undefined for what it leaves to kafkajs: compression, messages with their own timestamps, a key,
 * value or header value that is neither a string nor a buffer, a header without a value (kafkajs throws).
 */
export function encodeProduceRequest(
  options: ProduceRequestOptions,
  kafkajs: KafkajsParts,
  now = Date.now(),
): EncoderLike | undefined {
  const { transactionalId = null, producerEpoch = 0, compression = COMPRESSION_NONE, topicData } = options;
  if (compression !== COMPRESSION_NONE) return undefined;
  const producerId = kafkajs.toLong(options.producerId ?? -1);
  const plans: RecordPlan[][][] = [];
  let size = sizeOfString(transactionalId) + 2 + 4 + 4;
  for (const { topic, partitions } of topicData) {
    const topicPlans: RecordPlan[][] = [];
    size += sizeOfString(topic) + 4;
    for (const { messages } of partitions) {
      if (messages.length >= VARINT_LIMIT) return undefined;
      const partitionPlans: RecordPlan[] = [];
      size += 4 + 4 + 8 + 4 + BATCH_HEADER_SIZE;
      for (let index = 0; index < messages.length; index++) {
        const plan = planRecord(messages[index] as ProduceMessage, index);
        if (!plan) return undefined;
        partitionPlans.push(plan);
        size += sizeOfVarInt(plan.bodySize) + plan.bodySize;
      }
      topicPlans.push(partitionPlans);
    }
    plans.push(topicPlans);
  }

  const buf = Buffer.allocUnsafe(size);
  let at = writeString(buf, 0, transactionalId);
  at = buf.writeInt16BE(options.acks, at);
  at = buf.writeInt32BE(options.timeout, at);
  at = buf.writeInt32BE(topicData.length, at);
  topicData.forEach(({ topic, partitions }, topicIndex) => {
    at = writeString(buf, at, topic);
    at = buf.writeInt32BE(partitions.length, at);
    partitions.forEach(({ partition, firstSequence = 0 }, partitionIndex) => {
      const records = (plans[topicIndex] as RecordPlan[][])[partitionIndex] as RecordPlan[];
      at = buf.writeInt32BE(partition, at);
      const recordSetSizeAt = at;
      at += 4;
      const recordSetStart = at;
      at = writeInt64(buf, at, kafkajs.toLong(0)); // first offset: the broker assigns offsets
      const batchLengthAt = at;
      at += 4;
      const batchStart = at;
      at = buf.writeInt32BE(0, at); // partition leader epoch
      at = buf.writeInt8(MAGIC_BYTE, at);
      const crcAt = at;
      at += 4;
      const crcStart = at;
      at = buf.writeInt16BE(transactionalId ? TRANSACTIONAL_ATTRIBUTE : 0, at);
      at = buf.writeInt32BE(records.length - 1, at); // last offset delta
      at = writeInt64(buf, at, kafkajs.toLong(now)); // first timestamp
      at = writeInt64(buf, at, kafkajs.toLong(now)); // max timestamp
      at = writeInt64(buf, at, producerId);
      at = buf.writeInt16BE(producerEpoch, at);
      at = buf.writeInt32BE(firstSequence, at);
      at = buf.writeInt32BE(records.length, at);
      records.forEach((record, index) => {
        at = writeRecord(buf, at, record, index);
      });
      buf.writeUInt32BE(kafkajs.crc32C(buf.subarray(crcStart, at)), crcAt);
      buf.writeInt32BE(at - batchStart, batchLengthAt);
      buf.writeInt32BE(at - recordSetStart, recordSetSizeAt);
    });
  });
  // An Encoder of kafkajs's own class, so that the request framing reads it as it reads its own.
  const encoder = Object.create(kafkajs.encoderPrototype) as EncoderLike;
  encoder.buf = buf;
  encoder.offset = at;
  return encoder;
}

const PRODUCE_REQUEST_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request';
/** The later versions' encoders, which take version 3's when they load. */
const LATER_PRODUCE_REQUEST_MODULES = [4, 5, 6, 7].map(
  (version) => `kafkajs/src/protocol/requests/produce/v${version}/request`,
);

const requireFromHere = createRequire(__filename);
let isInstalled = false;

/**
 * Makes kafkajs 2.2.4's produce requests (versions 3 to 7) encode their payload with `encodeProduceRequest`,
 * and with kafkajs's own encoder whatever that leaves to it. It must run before the first produce request,
 * which loads kafkajs's request encoders; `createKafka` calls it. Returns whether it is in place: not for another
 * kafkajs, nor when kafkajs's produce request encoders were already loaded.
 */
export function speedUpKafkajsProduceEncoding(): boolean {
  if (isInstalled) return true;
  if (!isFixedKafkajsRelease()) return false;
  const loaded = (module: string) => requireFromHere.cache[requireFromHere.resolve(module)] !== undefined;
  if ([PRODUCE_REQUEST_MODULE, ...LATER_PRODUCE_REQUEST_MODULES].some(loaded)) return false;
  const kafkajsRequest = requireFromHere(PRODUCE_REQUEST_MODULE) as ProduceRequestEncoder;
  const kafkajs = kafkajsParts();
  const cached = requireFromHere.cache[requireFromHere.resolve(PRODUCE_REQUEST_MODULE)] as NodeJS.Module;
  cached.exports = (options: ProduceRequestOptions): ProduceRequest => {
    const request = kafkajsRequest(options);
    return {
      ...request,
      encode: async () => encodeProduceRequest(options, kafkajs) ?? request.encode(),
    };
  };
  isInstalled = true;
  return true;
}

/** kafkajs's own helpers, from the installed kafkajs. */
export function kafkajsParts(): KafkajsParts {
  const Long = requireFromHere('kafkajs/src/utils/long') as { fromValue: KafkajsParts['toLong'] };
  return {
    toLong: (value) => Long.fromValue(value),
    crc32C: requireFromHere('kafkajs/src/protocol/recordBatch/crc32C') as KafkajsParts['crc32C'],
    encoderPrototype: (requireFromHere('kafkajs/src/protocol/encoder') as { prototype: object }).prototype,
  };
}

/** Checks a message and measures its record; undefined when kafkajs should encode it. */
function planRecord(message: ProduceMessage, offsetDelta: number): RecordPlan | undefined {
  const { key = null, value = null, headers = {}, timestamp } = message;
  if (timestamp != null || !isBytes(key) || !isBytes(value)) return undefined;
  const headerEntries: [string, Bytes][] = [];
  let headerSize = 0;
  for (const headerKey of Object.keys(headers)) {
    const headerValue = headers[headerKey];
    for (const entry of Array.isArray(headerValue) ? headerValue : [headerValue]) {
      if (entry == null || !isBytes(entry)) return undefined;
      headerEntries.push([headerKey, entry]);
      headerSize += sizeOfVarIntBytes(headerKey) + sizeOfVarIntBytes(entry);
    }
  }
  const bodySize =
    1 + // attributes: none
    1 + // timestamp delta: 0, every record at the batch's timestamp
    sizeOfVarInt(offsetDelta) +
    sizeOfVarIntBytes(key) +
    sizeOfVarIntBytes(value) +
    sizeOfVarInt(headerEntries.length) +
    headerSize;
  return { key, value, headers: headerEntries, bodySize };
}

function writeRecord(buf: Buffer, start: number, record: RecordPlan, offsetDelta: number): number {
  let at = writeVarInt(buf, start, record.bodySize);
  buf[at++] = 0; // attributes
  buf[at++] = 0; // timestamp delta
  at = writeVarInt(buf, at, offsetDelta);
  at = writeVarIntBytes(buf, at, record.key);
  at = writeVarIntBytes(buf, at, record.value);
  at = writeVarInt(buf, at, record.headers.length);
  for (const [headerKey, headerValue] of record.headers) {
    at = writeVarIntBytes(buf, at, headerKey);
    at = writeVarIntBytes(buf, at, headerValue);
  }
  return at;
}

/** What kafkajs writes as bytes: nothing, a string (as UTF-8) or a buffer. */
function isBytes(value: unknown): value is Bytes | null {
  return value === null || typeof value === 'string' || Buffer.isBuffer(value);
}

function byteLengthOf(value: Bytes): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.length;
}

function sizeOfString(value: string | null): number {
  return 2 + (value === null ? 0 : Buffer.byteLength(value, 'utf8'));
}

function writeString(buf: Buffer, at: number, value: string | null): number {
  if (value === null) return buf.writeInt16BE(-1, at);
  const length = Buffer.byteLength(value, 'utf8');
  const start = buf.writeInt16BE(length, at);
  return start + buf.write(value, start, length, 'utf8');
}

function writeInt64(buf: Buffer, at: number, value: { getHighBits(): number; getLowBits(): number }): number {
  buf.writeInt32BE(value.getHighBits(), at);
  buf.writeInt32BE(value.getLowBits(), at + 4);
  return at + 8;
}

function sizeOfVarIntBytes(value: Bytes | null): number {
  if (value === null) return sizeOfVarInt(-1);
  const length = byteLengthOf(value);
  return sizeOfVarInt(length) + length;
}

function writeVarIntBytes(buf: Buffer, at: number, value: Bytes | null): number {
  if (value === null) return writeVarInt(buf, at, -1);
  if (typeof value === 'string') {
    const length = Buffer.byteLength(value, 'utf8');
    const start = writeVarInt(buf, at, length);
    return start + buf.write(value, start, length, 'utf8');
  }
  const start = writeVarInt(buf, at, value.length);
  return start + value.copy(buf, start);
}

/** Zigzag, then 7 bits a byte, low bits first: Kafka's varint, for values within ±2^30. */
function sizeOfVarInt(value: number): number {
  let encoded = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (encoded >= 0x80) {
    bytes++;
    encoded >>>= 7;
  }
  return bytes;
}

function writeVarInt(buf: Buffer, at: number, value: number): number {
  let encoded = ((value << 1) ^ (value >> 31)) >>> 0;
  while (encoded >= 0x80) {
    buf[at++] = (encoded & 0x7f) | 0x80;
    encoded >>>= 7;
  }
  buf[at++] = encoded;
  return at;
}
