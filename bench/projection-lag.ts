/**
 * Read-your-write lag of the projector: from an attempt record on the delivery log to its row in `attempts`,
 * at a steady rate of attempt records, with the producer (which runs the projector) as its own process.
 */
import {
  type AttemptFailed,
  type AttemptSucceeded,
  type DeliveryScheduled,
  type Environment,
  EventCatalogue,
  loadSchemaFiles,
  merchantEventTypes,
  topicNames,
} from '@hookstream/contracts';
import { deliveryIdFor, newId } from '@hookstream/delivery';
import {
  AvroCodec,
  createKafka,
  createSchemaRegistry,
  Publisher,
  registerSchemas,
  type RegisteredSchemas,
} from '@hookstream/kafka';
import { createLogger } from '@hookstream/observability';
import { createPool, type PoolClient } from '@hookstream/postgres';
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchDatabase } from './support/bench-database';
import { runBench } from './support/bench-run';
import { formatSummary, round, summarize } from './support/latency-stats';
import { benchOptions } from './support/options';
import { startProducer } from './support/producer-process';
import { benchKafkaSettings, stackEndpoints } from './support/stack-endpoints';
import { deleteTopicPrefix } from './support/topic-prefix';

const BENCH = 'projection-lag';

const options = benchOptions(BENCH, {
  ratePerS: { default: 1000, min: 1, help: 'attempt records a second (each delivery also has its scheduling record)' },
  durationS: { default: 30, min: 1, help: 'seconds recorded, after the warm-up' },
  warmUpS: { default: 5, help: 'seconds of load before recording starts' },
  partitions: { default: 12, min: 1, isInteger: true, help: 'partitions of the benchmark topics (apps default: 12)' },
  tickMs: { default: 10, min: 1, help: 'the load is sent in a batch every tickMs' },
  pollMs: { default: 5, min: 1, help: 'how often the attempts table is polled for outstanding rows' },
  targetP99Ms: { default: 250, min: 1, help: 'the p99 lag to stay below' },
});

/** How long rows still missing after the load may take to appear before they count as lost. */
const DRAIN_TIMEOUT_MS = 30_000;
/** The first record waits for the projector's consumer group to form, which takes seconds on a new group. */
const FIRST_ROW_TIMEOUT_MS = 120_000;
const ENDPOINT_COUNT = 50;

interface SyntheticDelivery {
  readonly deliveryId: string;
  readonly eventId: string;
  readonly environment: Environment;
  readonly endpoint: { readonly id: string; readonly url: string; readonly fingerprint: string };
  readonly eventType: string;
}

/** An attempt record handed to the producer, until its row is seen. */
interface OutstandingAttempt {
  /** t0: performance.now() when the record was handed to the Kafka producer. */
  readonly handedAt: number;
  ackedAt?: number;
  readonly isRecorded: boolean;
}

void runBench(BENCH, async (bench) => {
  const stack = stackEndpoints();
  const logger = createLogger(BENCH, 'error');
  const runId = randomBytes(4).toString('hex');
  const prefix = `bench-lag-${runId}`;
  const topics = topicNames(prefix);

  const database = await createBenchDatabase(stack.databaseUrl, `hookstream_bench_${runId}`, logger);
  bench.defer(() => database.drop());
  const kafka = createKafka(benchKafkaSettings(stack, prefix, options.partitions), `${BENCH}-${runId}`, logger);
  // Deferred before the producer starts, so it runs after the producer has stopped (clean-ups run in reverse).
  bench.defer(() => deleteTopicPrefix(kafka, stack.registryUrl, prefix));

  console.log(`${BENCH}: database ${database.name}, topics ${prefix}.*, ${options.partitions} partitions`);
  const producer = await startProducer({
    topicPrefix: prefix,
    topicPartitions: options.partitions,
    databaseUrl: database.url,
    signal: bench.signal,
  });
  bench.defer(() => producer.stop());

  // The same subjects as the apps register, so the projector recognises the schema ids of our records.
  const codec = new AvroCodec(createSchemaRegistry(stack.registryUrl));
  const schemas = await registerSchemas(codec, new EventCatalogue(loadSchemaFiles()), topics);
  const publisher = new Publisher(kafka);
  await publisher.connect();
  bench.defer(() => publisher.disconnect());
  const pool = createPool(database.url, logger, 1);
  bench.defer(() => pool.end());
  // A connection of its own, so polling never waits behind anything else.
  const pollClient = await pool.connect();
  bench.defer(async () => pollClient.release());

  const world = syntheticWorld();
  const encodeScheduled = (delivery: SyntheticDelivery) => encodeScheduledRecord(codec, schemas, world, delivery);
  const encodeAttempt = (delivery: SyntheticDelivery) => encodeAttemptRecord(codec, schemas, world, delivery);

  // The projector has joined its group and caught up once a first delivery's attempt is visible.
  const probe = world.newDelivery();
  await publisher.publish(topics.deliveryEvents, [await encodeScheduled(probe), await encodeAttempt(probe)]);
  const probeStartedAt = performance.now();
  await waitUntilVisible(pollClient, probe.deliveryId, FIRST_ROW_TIMEOUT_MS);
  console.log(`${BENCH}: projector consuming (first row after ${Math.round(performance.now() - probeStartedAt)} ms)`);

  const outstanding = new Map<string, OutstandingAttempt>();
  const lagsMs: number[] = [];
  const lagsFromAckMs: number[] = [];
  const sendToAckMs: number[] = [];
  const pollIntervalsMs: number[] = [];
  // What the producer logged while starting (its clients' notices), so only what it logs under load is shown.
  const producerOutputAtStart = producer.output();
  const loadStartedAt = performance.now();
  const recordFrom = loadStartedAt + options.warmUpS * 1000;
  const loadEndsAt = recordFrom + options.durationS * 1000;
  let isLoading = true;
  let loadEndedAt = Infinity;
  // A failed send or poll ends the run; kept here rather than left as a rejection nobody awaits yet.
  let failure: unknown;
  const fail = (error: unknown) => void (failure ??= error);

  const poller = (async () => {
    const drainDeadline = () => loadEndedAt + DRAIN_TIMEOUT_MS;
    let previousPollAt: number | undefined;
    while (isLoading || (outstanding.size > 0 && performance.now() < drainDeadline())) {
      // t1: when the query is sent. Its snapshot is taken just after, so a row it sees was committed before
      // about then, and after the previous poll's snapshot: the lag is known to within one poll interval.
      const pollAt = performance.now();
      if (outstanding.size > 0) {
        const { rows } = await pollClient.query<{ delivery_id: string; n: number }>(
          'SELECT delivery_id, n FROM attempts WHERE delivery_id = ANY($1)',
          [[...outstanding.keys()]],
        );
        for (const row of rows) {
          const attempt = outstanding.get(row.delivery_id);
          if (!attempt) continue;
          outstanding.delete(row.delivery_id);
          if (!attempt.isRecorded) continue;
          lagsMs.push(pollAt - attempt.handedAt);
          if (attempt.ackedAt !== undefined) lagsFromAckMs.push(pollAt - attempt.ackedAt);
        }
        if (previousPollAt !== undefined) pollIntervalsMs.push(pollAt - previousPollAt);
        previousPollAt = pollAt;
      } else {
        previousPollAt = undefined;
      }
      await sleep(Math.max(0, options.pollMs - (performance.now() - pollAt)));
    }
  })().catch(fail);

  // Each tick sends the attempts of the deliveries scheduled the tick before, then schedules the next ones:
  // as on the real log, a delivery's scheduling and its attempt are separate writes, in that order.
  let scheduledCount = 0;
  let awaitingAttempt: SyntheticDelivery[] = [];
  let recordedCount = 0;
  const sends: Promise<void>[] = [];
  console.log(
    `${BENCH}: ${options.ratePerS} attempts/s for ${options.warmUpS} s of warm-up + ${options.durationS} s recorded…`,
  );
  try {
    for (let tick = 0; ; tick++) {
      if (failure) throw failure;
      bench.signal.throwIfAborted();
      const now = performance.now();
      const isLast = now >= loadEndsAt;
      const due = isLast ? 0 : Math.floor(((now - loadStartedAt) / 1000) * options.ratePerS) - scheduledCount;
      const fresh = Array.from({ length: due }, () => world.newDelivery());
      scheduledCount += due;
      const messages = [
        ...(await Promise.all(awaitingAttempt.map(encodeAttempt))),
        ...(await Promise.all(fresh.map(encodeScheduled))),
      ];
      // t0 is taken before the send, not at its acknowledgement: that is when the dispatcher has an outcome
      // to show, the producer's own batching and round trip are part of what a reader waits for, and an ack
      // can arrive after the projector already read the record. The lag from the ack is reported beside it.
      const handedAt = performance.now();
      const isRecorded = handedAt >= recordFrom;
      const sent: OutstandingAttempt[] = awaitingAttempt.map((delivery) => {
        const attempt: OutstandingAttempt = { handedAt, isRecorded };
        outstanding.set(delivery.deliveryId, attempt);
        return attempt;
      });
      if (isRecorded) recordedCount += sent.length;
      if (messages.length > 0) {
        sends.push(
          publisher.publish(topics.deliveryEvents, messages).then(() => {
            const ackedAt = performance.now();
            for (const attempt of sent) attempt.ackedAt = ackedAt;
            if (isRecorded && sent.length > 0) sendToAckMs.push(ackedAt - handedAt);
          }, fail),
        );
      }
      awaitingAttempt = fresh;
      if (isLast) break;
      await sleep(Math.max(0, loadStartedAt + (tick + 1) * options.tickMs - performance.now()));
    }
    await Promise.all(sends);
  } catch (error) {
    fail(error);
  } finally {
    isLoading = false;
    loadEndedAt = performance.now();
  }
  // After a failure there is nothing worth waiting for: the poller stops at once.
  if (failure) outstanding.clear();
  await poller;
  if (failure) throw failure;

  const recordedSeconds = (loadEndsAt - recordFrom) / 1000;
  const lag = summarize(lagsMs);
  const lagFromAck = summarize(lagsFromAckMs);
  const sendToAck = summarize(sendToAckMs);
  const pollInterval = summarize(pollIntervalsMs);
  const unseen = [...outstanding.values()].filter((attempt) => attempt.isRecorded).length;
  const achievedRatePerS = round(recordedCount / recordedSeconds);

  console.log(`\n${BENCH}: ${recordedCount} attempts recorded over ${recordedSeconds} s (${achievedRatePerS}/s)`);
  console.log(formatSummary('lag from send', lag));
  console.log(formatSummary('lag from ack', lagFromAck));
  console.log(formatSummary('send → ack', sendToAck));
  console.log(formatSummary('poll interval (resolution)', pollInterval));
  console.log(`rows never seen within ${DRAIN_TIMEOUT_MS / 1000} s: ${unseen}\n`);
  // The producer logs warnings only (a failed projector batch among them): worth reading when the lag is off.
  const producerOutput = producer.output();
  const underLoad = producerOutput.startsWith(producerOutputAtStart)
    ? producerOutput.slice(producerOutputAtStart.length).trim()
    : producerOutput.trim();
  if ((lag.p99 >= options.targetP99Ms || unseen > 0) && underLoad) {
    console.log(`the producer's warnings under load:\n${underLoad.slice(-3000)}\n`);
  }

  return {
    metrics: {
      ratePerS: options.ratePerS,
      achievedRatePerS,
      attempts: lag.count,
      lagP50Ms: lag.p50,
      lagP90Ms: lag.p90,
      lagP99Ms: lag.p99,
      lagMaxMs: lag.max,
      lagFromAckP50Ms: lagFromAck.p50,
      lagFromAckP99Ms: lagFromAck.p99,
      sendToAckP50Ms: sendToAck.p50,
      sendToAckP99Ms: sendToAck.p99,
      pollIntervalP50Ms: pollInterval.p50,
      pollIntervalP99Ms: pollInterval.p99,
      unseenAttempts: unseen,
    },
    targets: {
      lagP99Ms: { below: options.targetP99Ms },
      unseenAttempts: { atMost: 0 },
      // A run that could not send the load did not measure the lag at that load.
      achievedRatePerS: { atLeast: round(options.ratePerS * 0.95) },
    },
  };
});

/** One tenant's deliveries to a set of endpoints, with ids made as the engine makes them. */
function syntheticWorld() {
  const tenantId = newId('ten');
  const eventTypes = merchantEventTypes(new EventCatalogue(loadSchemaFiles()).types()).map(
    (definition) => definition.type,
  );
  const endpoints = Array.from({ length: ENDPOINT_COUNT }, (_, index) => {
    const id = newId('ep');
    return {
      id,
      url: `https://hooks.merchant-${index}.example/webhooks`,
      fingerprint: createHash('sha256').update(id).digest('hex').slice(0, 12),
    };
  });
  return {
    tenantId,
    newDelivery(): SyntheticDelivery {
      const eventId = newId('evt');
      const endpoint = endpoints[randomInt(endpoints.length)] as SyntheticDelivery['endpoint'];
      return {
        deliveryId: deliveryIdFor(eventId, endpoint.id),
        eventId,
        environment: randomInt(10) < 3 ? 'sandbox' : 'live',
        endpoint,
        eventType: eventTypes[randomInt(eventTypes.length)] as string,
      };
    },
  };
}

type World = ReturnType<typeof syntheticWorld>;

function deliveryRef(world: World, delivery: SyntheticDelivery) {
  return {
    deliveryId: delivery.deliveryId,
    eventId: delivery.eventId,
    tenantId: world.tenantId,
    environment: delivery.environment,
    endpointId: delivery.endpoint.id,
    eventType: delivery.eventType,
  };
}

/** What the fan-out writes to the delivery log when it creates a delivery. */
async function encodeScheduledRecord(
  codec: AvroCodec,
  schemas: RegisteredSchemas,
  world: World,
  delivery: SyntheticDelivery,
): Promise<{ key: string; value: Buffer }> {
  const record: DeliveryScheduled = {
    ...deliveryRef(world, delivery),
    formatVersion: 1,
    schemaId: schemas.events.get(delivery.eventType)?.get(1)?.id ?? null,
    transactionId: delivery.eventType.startsWith('payin.') ? `txn_${delivery.eventId.slice(-12)}` : null,
    scheduledAt: Date.now(),
    isTest: false,
  };
  return { key: delivery.deliveryId, value: await codec.encode(schemas.internal['delivery-scheduled'].id, record) };
}

/** What the dispatcher writes once an attempt is over: nine in ten succeed, the rest answer 503 or time out. */
async function encodeAttemptRecord(
  codec: AvroCodec,
  schemas: RegisteredSchemas,
  world: World,
  delivery: SyntheticDelivery,
): Promise<{ key: string; value: Buffer }> {
  const outcome = randomInt(100);
  const latencyMs = outcome < 97 ? 30 + randomInt(370) : 10_000;
  const attemptedAt = Date.now() - latencyMs;
  const webhookTimestamp = Math.floor(attemptedAt / 1000);
  const attempt: AttemptSucceeded = {
    ...deliveryRef(world, delivery),
    attempt: 1,
    formatVersion: 1,
    attemptedAt,
    url: delivery.endpoint.url,
    resolvedIp: `203.0.113.${randomInt(1, 255)}`,
    latencyMs,
    statusCode: outcome < 90 ? 200 : outcome < 97 ? 503 : null,
    responseBody: outcome < 90 ? '{"received":true}' : outcome < 97 ? '<h1>503 Service Unavailable</h1>' : null,
    secretFingerprints: [delivery.endpoint.fingerprint],
    signedContentSha256: createHash('sha256').update(`${delivery.deliveryId}.${webhookTimestamp}.`).digest('hex'),
    webhookTimestamp,
  };
  const key = delivery.deliveryId;
  if (outcome < 90) return { key, value: await codec.encode(schemas.internal['attempt-succeeded'].id, attempt) };
  const failed: AttemptFailed = {
    ...attempt,
    errorClass: outcome < 97 ? 'non_2xx' : 'timeout',
    error: outcome < 97 ? 'HTTP 503' : `timed out after ${latencyMs} ms`,
  };
  return { key, value: await codec.encode(schemas.internal['attempt-failed'].id, failed) };
}

async function waitUntilVisible(client: PoolClient, deliveryId: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { rowCount } = await client.query('SELECT 1 FROM attempts WHERE delivery_id = $1', [deliveryId]);
    if (rowCount) return;
    await sleep(50);
  }
  throw new Error(`the projector wrote no row for a first delivery within ${timeoutMs} ms`);
}
