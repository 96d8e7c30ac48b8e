/**
 * Precision of the retry scheduler: how late a due retry reaches `hookstream.dispatch` (its final due
 * time → the dispatch record's timestamp, set when the scheduler writes it), under 10 000 retries
 * scheduled across tiers and chains of tiers, with the built retry scheduler as its own process.
 */
import {
  type DispatchRequested,
  EventCatalogue,
  loadSchemaFiles,
  type RetryRequested,
  topicNames,
} from '@hookstream/contracts';
import { deliveryIdFor, newId, type RetryTier, tierMs } from '@hookstream/delivery';
import {
  AvroCodec,
  connectAdmin,
  createKafka,
  createSchemaRegistry,
  groupConsumer,
  Publisher,
  registerSchemas,
} from '@hookstream/kafka';
import { createLogger } from '@hookstream/observability';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBuiltApp } from './support/app-process';
import { runBench } from './support/bench-run';
import { formatSummary, summarize } from './support/latency-stats';
import { benchOptions } from './support/options';
import { benchKafkaSettings, stackEndpoints } from './support/stack-endpoints';
import { deleteTopicPrefix } from './support/topic-prefix';

const BENCH = 'retry-lateness';

const options = benchOptions(BENCH, {
  retries: { default: 10_000, min: 1, isInteger: true, help: 'retries scheduled' },
  spreadS: { default: 20, min: 1, help: 'seconds over which they are scheduled' },
  partitions: { default: 12, min: 1, isInteger: true, help: 'partitions of the benchmark topics (apps default: 12)' },
  targetP99Ms: { default: 500, min: 1, help: 'the p99 lateness to stay below' },
});

/** Chains the dispatcher writes for delays of 1 s … 36 s: one tier, or several in a row. */
const CHAINS: readonly (readonly RetryTier[])[] = [['1s'], ['5s'], ['5s', '1s'], ['30s'], ['30s', '5s', '1s']];

void runBench(BENCH, async (bench) => {
  const stack = stackEndpoints();
  const logger = createLogger(BENCH, 'error');
  const runId = randomBytes(4).toString('hex');
  const prefix = `bench-retry-${runId}`;
  const topics = topicNames(prefix);
  const kafkaSettings = benchKafkaSettings(stack, prefix, options.partitions);
  const kafka = createKafka(kafkaSettings, `${BENCH}-${runId}`, logger);
  bench.defer(() => deleteTopicPrefix(kafka, stack.registryUrl, prefix, ['retry-scheduler', 'bench-dispatch']));
  const admin = await connectAdmin(kafka, kafkaSettings, logger);
  bench.defer(() => admin.disconnect());
  const codec = new AvroCodec(createSchemaRegistry(stack.registryUrl));
  const schemas = await registerSchemas(codec, new EventCatalogue(loadSchemaFiles()), topics);

  const scheduler = await startBuiltApp({
    app: 'retry-scheduler',
    portVariable: 'RETRY_SCHEDULER_PORT',
    env: { KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: String(options.partitions) },
    signal: bench.signal,
  });
  bench.defer(() => scheduler.stop());

  // Final due time per delivery, and when its dispatch record was written.
  const dueAt = new Map<string, number>();
  const latenessMs: number[] = [];
  const dispatchedIds = new Set<string>();
  let duplicates = 0;
  const dispatched = groupConsumer(kafka, `${prefix}-bench-dispatch`, { maxWaitTimeInMs: 50 });
  await dispatched.connect();
  bench.defer(() => dispatched.disconnect());
  await dispatched.subscribe({ topic: topics.dispatch, fromBeginning: true });
  await dispatched.run({
    eachMessage: async ({ message }) => {
      if (!message.value) return;
      const record = (await codec.decode<DispatchRequested>(message.value)).value;
      const due = dueAt.get(record.deliveryId);
      if (due === undefined) return;
      if (dispatchedIds.has(record.deliveryId)) {
        duplicates += 1;
        return;
      }
      dispatchedIds.add(record.deliveryId);
      latenessMs.push(Number(message.timestamp) - due);
    },
  });

  const publisher = new Publisher(kafka);
  await publisher.connect();
  bench.defer(() => publisher.disconnect());
  const event = Buffer.from('{}');
  const endpointIds = Array.from({ length: 50 }, () => newId('ep'));
  const batches = Math.ceil(options.spreadS * 10);
  const perBatch = Math.ceil(options.retries / batches);
  console.log(
    `${BENCH}: ${options.retries} retries over ${options.spreadS} s, chains ${CHAINS.map((c) => c.join('+')).join(', ')}`,
  );
  let scheduled = 0;
  for (let batch = 0; batch < batches && scheduled < options.retries && !bench.signal.aborted; batch++) {
    const writes = new Map<string, { key: string; value: Buffer }[]>();
    for (let n = 0; n < perBatch && scheduled < options.retries; n++, scheduled++) {
      const chain = CHAINS[scheduled % CHAINS.length] as readonly RetryTier[];
      const [first, ...rest] = chain as [RetryTier, ...RetryTier[]];
      const eventId = newId('evt');
      const endpointId = endpointIds[scheduled % endpointIds.length] as string;
      const deliveryId = deliveryIdFor(eventId, endpointId);
      const firstDue = Date.now() + tierMs(first);
      dueAt.set(deliveryId, firstDue + rest.reduce((sum, tier) => sum + tierMs(tier), 0));
      const retry: RetryRequested = {
        deliveryId,
        eventId,
        tenantId: 'ten_bench',
        environment: 'sandbox',
        endpointId,
        eventType: 'payin.succeeded',
        formatVersion: 1,
        attempt: 2,
        event,
        dueAt: firstDue,
        remainingTiers: rest,
        isTest: false,
      };
      const topic = topics.retry(first);
      writes.set(topic, [
        ...(writes.get(topic) ?? []),
        { key: endpointId, value: await codec.encode(schemas.internal['retry-requested'].id, retry) },
      ]);
    }
    await Promise.all([...writes].map(([topic, messages]) => publisher.publish(topic, messages)));
    await sleep(100);
  }

  const lastDue = Math.max(...dueAt.values());
  const deadline = lastDue + 60_000;
  while (latenessMs.length < dueAt.size && Date.now() < deadline && !bench.signal.aborted) await sleep(250);
  const summary = summarize(latenessMs);
  console.log(formatSummary('due → dispatch record', summary));
  // Records that could still be in flight would show as duplicates a moment later.
  await sleep(1000);
  console.log(`${BENCH}: ${latenessMs.length} of ${dueAt.size} retries dispatched, ${duplicates} twice`);
  return {
    metrics: {
      scheduled: dueAt.size,
      dispatched: latenessMs.length,
      duplicates,
      latenessP50Ms: summary.p50,
      latenessP99Ms: summary.p99,
      latenessMaxMs: summary.max,
    },
    targets: {
      latenessP99Ms: { below: options.targetP99Ms },
      dispatched: { atLeast: dueAt.size },
      duplicates: { atMost: 0 },
    },
  };
});
