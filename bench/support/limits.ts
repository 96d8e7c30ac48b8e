/**
 * The yardsticks: what a bare client does on the same machine, in the same run, with nothing of the engine in
 * the way. The engine can never beat them; how close it gets is the figure of merit.
 */
import { type Kafka, keyHashPartitioner } from '@hookstream/kafka';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent } from 'undici';

/**
 * Raw undici POSTs of one signed webhook to the receiver: `concurrency` loops, over the given URLs in turn,
 * through one keep-alive agent with the dispatcher's connections per origin, called as the dispatcher calls it
 * (`agent.request` with origin and path). Answers posts per second over `durationMs`, after `warmUpMs` of the
 * same posts uncounted (connections opened, client and receiver compiled), as the engine's run is warmed up.
 */
export async function measureHttpLimit(options: {
  urls: readonly string[];
  body: Buffer;
  headers: Record<string, string>;
  concurrency: number;
  connectionsPerOrigin: number;
  durationMs: number;
  warmUpMs: number;
  signal: AbortSignal;
  onProgress(posts: number): void;
}): Promise<{ postsPerSecond: number; posts: number }> {
  const agent = new Agent({ connections: options.connectionsPerOrigin, keepAliveTimeout: 30_000 });
  let posts = 0;
  let next = 0;
  const startedAt = performance.now() + options.warmUpMs;
  const endsAt = startedAt + options.durationMs;
  const targets = options.urls.map((url) => new URL(url)).map((url) => ({ origin: url.origin, path: url.pathname }));
  const loop = async () => {
    while (performance.now() < endsAt && !options.signal.aborted) {
      const { origin, path } = targets[next++ % targets.length] as { origin: string; path: string };
      const response = await agent.request({
        origin,
        path,
        method: 'POST',
        headers: options.headers,
        body: options.body,
      });
      await response.body.dump();
      if (response.statusCode !== 200) throw new Error(`the receiver answered ${response.statusCode} to a raw POST`);
      if (performance.now() >= startedAt) posts++;
    }
  };
  const reporter = setInterval(() => options.onProgress(posts), 250);
  try {
    await Promise.all(Array.from({ length: options.concurrency }, loop));
  } finally {
    clearInterval(reporter);
    await agent.close();
  }
  options.signal.throwIfAborted();
  const elapsedS = (performance.now() - startedAt) / 1000;
  return { postsPerSecond: posts / elapsedS, posts };
}

/**
 * Raw kafkajs through the same broker: records of the engine's size produced (acks = all, batches of
 * `batchSize`, a few requests in flight, keyed and partitioned as the engine's are) for `durationMs` while one
 * consumer reads them. Answers records per second from the first send to the last record consumed.
 */
export async function measureKafkaLimit(options: {
  kafka: Kafka;
  topic: string;
  partitions: number;
  recordBytes: number;
  durationMs: number;
  signal: AbortSignal;
  onProgress(consumed: number): void;
}): Promise<{ recordsPerSecond: number; records: number }> {
  const BATCH_SIZE = 1000;
  const SENDS_IN_FLIGHT = 4;
  const admin = options.kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: options.topic, numPartitions: options.partitions }],
    waitForLeaders: true,
  });
  const producer = options.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: keyHashPartitioner });
  const consumer = options.kafka.consumer({ groupId: `${options.topic}-reader` });
  const value = Buffer.alloc(options.recordBytes, 0x61);
  let produced = 0;
  let consumed = 0;
  let lastConsumedAt = 0;
  try {
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        consumed += batch.messages.length;
        lastConsumedAt = performance.now();
      },
    });
    await joined;

    const startedAt = performance.now();
    const endsAt = startedAt + options.durationMs;
    let key = 0;
    const sender = async () => {
      while (performance.now() < endsAt && !options.signal.aborted) {
        const messages = Array.from({ length: BATCH_SIZE }, () => ({ key: String(key++), value }));
        await producer.send({ topic: options.topic, acks: -1, messages });
        produced += messages.length;
      }
    };
    const reporter = setInterval(() => options.onProgress(consumed), 250);
    try {
      await Promise.all(Array.from({ length: SENDS_IN_FLIGHT }, sender));
      const drainDeadline = performance.now() + 30_000;
      while (consumed < produced && performance.now() < drainDeadline) await sleep(20);
    } finally {
      clearInterval(reporter);
    }
    options.signal.throwIfAborted();
    if (consumed < produced) throw new Error(`the raw consumer read ${consumed} of ${produced} records`);
    return { recordsPerSecond: consumed / ((lastConsumedAt - startedAt) / 1000), records: consumed };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [options.topic] }).catch(() => undefined);
    await admin.deleteGroups([`${options.topic}-reader`]).catch(() => undefined);
    await admin.disconnect();
  }
}
