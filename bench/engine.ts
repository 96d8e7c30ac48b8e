/**
 * The engine end to end, against the raw limits measured in the same run: delivery and ingest throughput,
 * end-to-end latency at a steady rate, isolation from dead endpoints, per-key ordered delivery (its latency and
 * its order), and what it all costs in CPU and memory. The three apps run from the production build as their own
 * processes, on topics and a database of the run's own; a local receiver (its own process) plays 50 merchants.
 * Writes bench/results.json.
 * How to read each figure: bench/README.md.
 */
import { EventCatalogue, EventExamples, loadSchemaFiles, schemasDir, topicNames } from '@hookstream/contracts';
import { deliveryIdFor, newId } from '@hookstream/delivery';
import { AvroCodec, createKafka, createSchemaRegistry, Publisher, registerSchemas } from '@hookstream/kafka';
import { createLogger } from '@hookstream/observability';
import { createPool } from '@hookstream/postgres';
import { sign } from '@hookstream/signing';
import { Presets, SingleBar } from 'cli-progress';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { loadDispatcherConfig } from '../apps/dispatcher/src/config';
import { startBuiltApp } from './support/app-process';
import { startProducer } from './support/producer-process';
import { createBenchDatabase } from './support/bench-database';
import { runBench } from './support/bench-run';
import { topFrames } from './support/cpu-profile';
import { type LatencySummary, round, summarize } from './support/latency-stats';
import { measureHttpLimit, measureKafkaLimit } from './support/limits';
import { benchOptions } from './support/options';
import type { Arrival } from './support/receiver-protocol';
import { type ReceiverProcess, startReceiver } from './support/receiver-process';
import { ResourceSampler, stackServiceProcesses, type WatchedProcess } from './support/resource-usage';
import { benchKafkaSettings, stackEndpoints } from './support/stack-endpoints';
import { deleteTopicPrefix, PRODUCER_GROUPS } from './support/topic-prefix';

const BENCH = 'engine';
const isQuick = process.env.BENCH_QUICK === '1';

/** Events ready to publish, keyed by tenant, in the batches they are published in. */
type EncodedBatches = { key: string; value: Buffer }[][];

const options = benchOptions(BENCH, {
  events: { default: isQuick ? 20_000 : 100_000, min: 1, isInteger: true, help: 'events of the throughput runs' },
  endpoints: {
    default: 50,
    min: 1,
    isInteger: true,
    help: 'merchants (one endpoint each) the throughput events go to',
  },
  ingestConcurrency: { default: 64, min: 1, isInteger: true, help: 'POST /v1/events in flight' },
  ratePerS: { default: 500, min: 1, help: 'events a second of the latency runs' },
  durationS: { default: isQuick ? 10 : 30, min: 1, help: 'seconds recorded in each latency run' },
  warmUpS: { default: isQuick ? 2 : 5, help: 'seconds of the same load before a latency run records' },
  merchants: { default: 20, min: 10, isInteger: true, help: 'tenants of the latency runs, one endpoint each' },
  deadShare: { default: 0.1, min: 0, help: 'share of the isolation run’s endpoints that never answer' },
  // A key gets an event every 4 s at 500/s: payments' events come seconds apart, not several a second.
  orderingKeys: {
    default: 2000,
    min: 1,
    isInteger: true,
    help: 'transaction ids the ordered run’s events cycle over (its endpoints order per key)',
  },
  limitS: { default: isQuick ? 5 : 10, min: 1, help: 'seconds each raw limit is measured' },
  throughputWarmUp: {
    default: 80_000,
    min: 0,
    isInteger: true,
    help: 'events delivered, untimed, before the throughput run (the raw HTTP limit warms up for a second)',
  },
  retryWarmUp: {
    default: 200,
    min: 0,
    isInteger: true,
    help: 'events delivered, untimed, each on its retry: the retry path warmed before any timed run',
  },
  partitions: { default: 12, min: 1, isInteger: true, help: 'partitions of the run’s topics (apps default: 12)' },
  profile: { default: 0, min: 0, isInteger: true, help: '1: run the apps under node --cpu-prof and print top frames' },
  targetHttpRatio: { default: 0.25, min: 0, help: 'deliveries/s over raw posts/s to reach' },
  targetP99Ms: { default: 250, min: 1, help: 'end-to-end p99 at the steady rate to stay within' },
  targetIsolationRatio: { default: 1.5, min: 1, help: 'healthy p99 with dead endpoints over without' },
});

/** A delivery still missing this long after the last progress counts as lost, and the run fails. */
const STALL_TIMEOUT_MS = 60_000;
const THROUGHPUT_EVENT_TYPE = 'payin.succeeded';
/** Uncounted seconds of posts before the raw HTTP limit counts: the engine's run is warmed up too. */
const HTTP_LIMIT_WARM_UP_S = 1;

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the receiver process's. */
const now = () => performance.timeOrigin + performance.now();

interface Merchant {
  readonly tenantId: string;
  readonly sandboxKey: string;
}

interface RegisteredEndpoint {
  readonly id: string;
  readonly path: string;
  readonly secret: string;
}

void runBench(BENCH, async (bench) => {
  const stack = stackEndpoints();
  const logger = createLogger(BENCH, 'error');
  const runId = randomBytes(4).toString('hex');
  const prefix = `bench-engine-${runId}`;
  const topics = topicNames(prefix);
  const dispatcherConfig = loadDispatcherConfig({ ...process.env, HOOKSTREAM_LOCAL: '1' });
  // Each merchant is an origin of its own (127.0.0.2, .3, …: all loopback on Linux), as on the internet.
  const addressCount = Math.max(options.endpoints, options.merchants * 2);
  const addresses = Array.from({ length: addressCount }, (_, index) => loopbackAddress(index));
  const startedAt = new Date();
  console.log(
    `${BENCH}: ${isQuick ? 'quick run' : 'full run'}: ${options.events} events to ${options.endpoints} endpoints, ` +
      `latency at ${options.ratePerS}/s for ${options.durationS} s; topics ${prefix}.*`,
  );

  const database = await createBenchDatabase(stack.databaseUrl, `hookstream_bench_${runId}`, logger);
  bench.defer(() => database.drop());
  const kafka = createKafka(benchKafkaSettings(stack, prefix, options.partitions), `${BENCH}-${runId}`, logger);
  bench.defer(() =>
    deleteTopicPrefix(kafka, stack.registryUrl, prefix, [...PRODUCER_GROUPS, 'dispatcher', 'retry-scheduler']),
  );

  const receiver = await startReceiver(addresses);
  bench.defer(() => receiver.stop());

  const profileDir = join(__dirname, '../../.stack/bench/profiles', runId);
  const nodeArgs = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const appEnv = { KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: String(options.partitions) };
  // One at a time: the producer creates the topics the others consume.
  const producer = await startProducer({
    topicPrefix: prefix,
    topicPartitions: options.partitions,
    databaseUrl: database.url,
    signal: bench.signal,
    nodeArgs,
  });
  bench.defer(() => producer.stop());
  const dispatcher = await startBuiltApp({
    app: 'dispatcher',
    portVariable: 'DISPATCHER_PORT',
    env: appEnv,
    signal: bench.signal,
    nodeArgs,
  });
  bench.defer(() => dispatcher.stop());
  const retryScheduler = await startBuiltApp({
    app: 'retry-scheduler',
    portVariable: 'RETRY_SCHEDULER_PORT',
    env: appEnv,
    signal: bench.signal,
    nodeArgs,
  });
  bench.defer(() => retryScheduler.stop());
  // Before the apps too (the receiver's first clean-up is for a failed start): the requests dead endpoints still
  // hold then fail at once, and the dispatcher stops without waiting out their timeouts, some 20 s of a quick run.
  bench.defer(() => receiver.stop());
  const apps = { producer, dispatcher, 'retry-scheduler': retryScheduler };
  // Runs before the apps stop: when the run failed, what they warned about is the first thing to read.
  let isFinished = false;
  bench.defer(async () => {
    if (isFinished) return;
    for (const [name, app] of Object.entries(apps)) {
      const output = app.output().trim();
      if (output) console.error(`\n${BENCH}: the ${name}'s last warnings:\n${output.slice(-4000)}`);
    }
  });

  const api = apiOf(producer.baseUrl, stack.adminToken);
  bench.defer(() => api.close());
  const pool = createPool(stack.databaseUrl, logger, 1);
  const services = await stackServiceProcesses(join(__dirname, '../../.stack/run'), async () => {
    const { rows } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return rows[0]?.pid ?? 0;
  });
  await pool.end();
  const watched: WatchedProcess[] = [
    ...Object.entries(apps).map(([name, app]) => ({ name, pid: app.pid })),
    ...services,
    { name: 'receiver', pid: receiver.pid },
    { name: 'load generator', pid: process.pid },
  ];
  const sampler = new ResourceSampler(watched);
  sampler.start();

  // 1. The limits.
  const catalogue = new EventCatalogue(loadSchemaFiles());
  const example = new EventExamples(catalogue).get(THROUGHPUT_EVENT_TYPE);
  if (!example) throw new Error(`no example of ${THROUGHPUT_EVENT_TYPE}`);
  // The example as a merchant's JSON (the catalogue's parsed form holds Avro values, such as epoch millis).
  const exampleJson = JSON.parse(
    readFileSync(join(schemasDir(), THROUGHPUT_EVENT_TYPE, 'example.json'), 'utf8'),
  ) as Record<string, unknown>;
  const sampleBody = Buffer.from(
    JSON.stringify({
      id: newId('evt'),
      type: THROUGHPUT_EVENT_TYPE,
      timestamp: new Date().toISOString(),
      formatVersion: example.formatVersion,
      data: exampleJson,
    }),
  );
  const limitSecret = `whsec_${randomBytes(24).toString('base64')}`;
  const rawConcurrency = Math.min(
    dispatcherConfig.maxInFlight,
    options.endpoints * dispatcherConfig.endpointConcurrency,
  );
  const httpLimit = await phase(
    `raw HTTP POSTs (${rawConcurrency} in flight)`,
    options.limitS + HTTP_LIMIT_WARM_UP_S,
    's',
    (progress) =>
      measureHttpLimit({
        urls: addresses
          .slice(0, options.endpoints)
          .map((address, index) => `http://${address}:${receiver.port}/limit/${index}`),
        body: sampleBody,
        headers: {
          'content-type': 'application/json',
          'user-agent': dispatcherConfig.userAgent,
          ...sign(deliveryIdFor(newId('evt'), newId('ep')), Math.floor(Date.now() / 1000), sampleBody, [limitSecret]),
        },
        concurrency: rawConcurrency,
        connectionsPerOrigin: dispatcherConfig.endpointConcurrency,
        durationMs: options.limitS * 1000,
        warmUpMs: HTTP_LIMIT_WARM_UP_S * 1000,
        signal: bench.signal,
        onProgress: () => progress(elapsedSince(progress)),
      }),
  );
  console.log(`${BENCH}: raw HTTP: ${Math.round(httpLimit.postsPerSecond)} posts/s`);

  const codec = new AvroCodec(createSchemaRegistry(stack.registryUrl));
  const schemas = await registerSchemas(codec, catalogue, topics);
  const eventSchemaId = schemas.events.get(THROUGHPUT_EVENT_TYPE)?.get(example.formatVersion)?.id;
  if (eventSchemaId === undefined) throw new Error(`${THROUGHPUT_EVENT_TYPE} v${example.formatVersion} not registered`);
  const encodeEvent = (merchant: Merchant) =>
    codec.encode(eventSchemaId, {
      eventId: newId('evt'),
      tenantId: merchant.tenantId,
      environment: 'sandbox',
      type: THROUGHPUT_EVENT_TYPE,
      createdAt: Date.now(),
      data: example.data,
    });
  const recordBytes = (await encodeEvent({ tenantId: newId('ten'), sandboxKey: '' })).length;
  const kafkaLimit = await phase(
    `raw kafkajs produce + consume (${recordBytes}-byte records)`,
    options.limitS,
    's',
    (progress) =>
      measureKafkaLimit({
        kafka,
        topic: `${prefix}.raw-limit`,
        partitions: options.partitions,
        recordBytes,
        durationMs: options.limitS * 1000,
        signal: bench.signal,
        onProgress: () => progress(elapsedSince(progress)),
      }),
  );
  console.log(`${BENCH}: raw Kafka: ${Math.round(kafkaLimit.recordsPerSecond)} records/s`);

  // 2. Delivery throughput: events straight onto the events topic, spread over M merchants with one endpoint
  // each (as a payments platform's merchants are), every event delivered once.
  const throughputEndpoints: { merchant: Merchant; endpoint: RegisteredEndpoint }[] = [];
  for (let index = 0; index < options.endpoints; index++) {
    const merchant = await api.createMerchant(`bench throughput ${index}`);
    const origin = `http://${addresses[index]}:${receiver.port}`;
    throughputEndpoints.push({
      merchant,
      endpoint: await api.createEndpoint(merchant, origin, `/e/${index}`, [THROUGHPUT_EVENT_TYPE]),
    });
  }
  await receiver.setSecrets(
    Object.fromEntries(throughputEndpoints.map(({ endpoint }) => [endpoint.path, endpoint.secret])),
  );
  const publisher = new Publisher(kafka);
  await publisher.connect();
  bench.defer(() => publisher.disconnect());
  /**
   * `count` events in batches of 500, Avro-encoded before a phase's clock and CPU sampling start: encoding is the
   * load generator's work, not the engine's.
   */
  const encodeEvents = async (count: number) => {
    const BATCH = 500;
    const batches: EncodedBatches = [];
    for (let sent = 0; sent < count; sent += BATCH) {
      const merchants = Array.from(
        { length: Math.min(BATCH, count - sent) },
        (_, index) =>
          (throughputEndpoints[(sent + index) % throughputEndpoints.length] as { merchant: Merchant }).merchant,
      );
      const values = await Promise.all(merchants.map(encodeEvent));
      // Keyed by tenant, as the API keys them.
      batches.push(values.map((value, index) => ({ key: (merchants[index] as Merchant).tenantId, value })));
    }
    return batches;
  };
  const publishEvents = async (batches: EncodedBatches) => {
    for (const batch of batches) {
      bench.signal.throwIfAborted();
      await publisher.publish(topics.events, batch);
    }
  };
  // Every app has joined its groups and knows every endpoint once an event reached each of them.
  await receiver.reset({ recordArrivals: false });
  await publishEvents(await encodeEvents(options.endpoints));
  await awaitDeliveries(receiver, options.endpoints, 'warm-up', 120_000, bench.signal);
  /** Publishes the encoded events and waits for each delivery: when publishing ended, and the receiver's figures. */
  const deliver = (name: string, batches: EncodedBatches) => {
    const count = batches.reduce((sum, batch) => sum + batch.length, 0);
    return phase(name, count, 'deliveries', (progress) =>
      Promise.all([
        publishEvents(batches).then(now),
        awaitDeliveries(receiver, count, name, STALL_TIMEOUT_MS, bench.signal, progress),
      ]),
    );
  };
  if (options.retryWarmUp > 0) await warmUpRetries(options.retryWarmUp);
  // The same load, untimed: the figure is then the engine's steady state, not its first seconds, when the apps'
  // V8 and the broker's JVM are still compiling the hot paths (in one run the first 20 000 deliveries cost 0.77 ms
  // of CPU each, the next 20 000 0.54 ms), which a deployment that has been running did long ago. A broker just
  // started needs the most: after 10 000 it still spent 0.052–0.064 ms of CPU a delivery, after 40 000 0.037–0.050,
  // its compiler threads still busy through the timed run; after 80 000 0.022–0.049, under 0.03 in 12 runs of 17.
  if (options.throughputWarmUp > 0) {
    const warmUp = await encodeEvents(options.throughputWarmUp);
    await receiver.reset({ recordArrivals: false });
    await deliver('throughput warm-up', warmUp);
  }

  const measured = await encodeEvents(options.events);
  await receiver.reset({ recordArrivals: false });
  const transactionsBefore = await postgresTransactions(database.url, database.name);
  const throughputCost = new ResourceSampler(watched);
  throughputCost.start();
  const publishStartedAt = now();
  const [publishedAt, throughput] = await deliver('delivery throughput', measured);
  const cpuPerDelivery = Object.fromEntries(
    Object.entries(throughputCost.stop()).map(([name, use]) => [
      name,
      round((use.cpuSeconds * 1000) / options.events, 3),
    ]),
  );
  console.log(`${BENCH}: CPU ms per delivery while delivering: ${JSON.stringify(cpuPerDelivery)}`);
  // The statistics collector publishes counts within a second or so.
  await sleep(1500);
  const transactionsPerDelivery =
    ((await postgresTransactions(database.url, database.name)) - transactionsBefore) / options.events;
  const deliveriesPerSecond = options.events / ((throughput.lastAt - throughput.firstAt) / 1000);
  console.log(
    `${BENCH}: ${options.events} deliveries in ${round((throughput.lastAt - throughput.firstAt) / 1000)} s: ` +
      `${Math.round(deliveriesPerSecond)}/s (published in ${round((publishedAt - publishStartedAt) / 1000)} s, ` +
      `${throughput.duplicates} duplicates, ${throughput.verified} signatures verified, ` +
      // The projector writes hundreds of deliveries a transaction: per delivery it would print as 0.
      `${round(transactionsPerDelivery * 1000, 1)} Postgres transactions per 1000 deliveries)`,
  );

  // 3. Ingest throughput: the same events through the API, to a merchant with no endpoints.
  const ingestMerchant = await api.createMerchant('bench ingest');
  const ingest = await phase('ingest throughput', options.events, 'events', (progress) =>
    api.ingest(ingestMerchant, options.events, options.ingestConcurrency, exampleJson, progress, bench.signal),
  );
  console.log(`${BENCH}: ingest: ${Math.round(ingest.acceptedPerSecond)} events/s accepted`);

  // 4. Latency at a steady rate, 5. the same with per-key ordering, then 6. with dead endpoints: last, since
  // their held requests and retries go on after their run (and kept the apps' lag up for a minute before a next).
  const steady = await steadyRun('latency');
  const ordered = await steadyRun('ordered', { orderingKeys: options.orderingKeys });
  const withDead = await steadyRun('isolation', { deadCount: Math.round(options.merchants * options.deadShare) });
  const isolationRatio = withDead.healthy.p99 / steady.healthy.p99;

  // 7. Cost.
  const resources = sampler.stop();
  if (options.profile) {
    // The profiles are written as the apps exit; requests held by dead endpoints would hold the dispatcher up.
    await receiver.stop();
    for (const app of Object.values(apps)) await app.stop();
    for (const [file, frames] of topFrames(profileDir, 15)) {
      console.log(`\n${BENCH}: top self time in ${file}`);
      for (const frame of frames) console.log(`  ${frame}`);
    }
  }

  isFinished = true;
  const results = {
    deliveriesPerSecond: round(deliveriesPerSecond),
    ingestPerSecond: round(ingest.acceptedPerSecond),
    ratioToHttpLimit: round(deliveriesPerSecond / httpLimit.postsPerSecond, 3),
    ratioToKafkaLimit: round(deliveriesPerSecond / kafkaLimit.recordsPerSecond, 3),
    e2eLatencyMs: pick(steady.healthy),
    // Where the steady run's latency went: 202 → fanned out → attempt started → arrived (each stage's own time).
    e2eStagesMs: {
      fanOut: pick(steady.stages.fanOut),
      dispatch: pick(steady.stages.dispatch),
      http: pick(steady.stages.http),
    },
    isolation: { p99Healthy: steady.healthy.p99, p99WithDead: withDead.healthy.p99, ratio: round(isolationRatio, 2) },
    ordering: {
      e2eLatencyMs: pick(ordered.healthy),
      p99RatioToUnordered: round(ordered.healthy.p99 / steady.healthy.p99, 2),
      orderViolations: ordered.orderViolations,
      keys: options.orderingKeys,
    },
    limits: {
      httpPostsPerSecond: round(httpLimit.postsPerSecond),
      httpConcurrency: rawConcurrency,
      kafkaRecordsPerSecond: round(kafkaLimit.recordsPerSecond),
      kafkaRecordBytes: recordBytes,
    },
    resources,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(totalmem() / 2 ** 30),
      node: process.version,
      loadAverageAtEnd: loadavg().map((load) => round(load, 2)),
    },
    run: {
      quick: isQuick,
      events: options.events,
      endpoints: options.endpoints,
      duplicates: throughput.duplicates,
      postgresTransactionsPerDelivery: round(transactionsPerDelivery, 4),
      cpuMsPerDelivery: cpuPerDelivery,
      signaturesVerified: throughput.verified + steady.verified + withDead.verified + ordered.verified,
      ratePerS: options.ratePerS,
      durationS: options.durationS,
      merchants: options.merchants,
      deadEndpoints: withDead.deadCount,
      latencyMissing: steady.missing + withDead.missing + ordered.missing,
      startedAt: startedAt.toISOString(),
    },
    at: new Date().toISOString(),
  };
  const file = join(__dirname, '../../bench/results.json');
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  printSummary(results);
  console.log(`${BENCH}: results written to bench/results.json`);

  return {
    metrics: {
      deliveriesPerSecond: results.deliveriesPerSecond,
      httpPostsPerSecond: results.limits.httpPostsPerSecond,
      kafkaRecordsPerSecond: results.limits.kafkaRecordsPerSecond,
      ratioToHttpLimit: results.ratioToHttpLimit,
      ratioToKafkaLimit: results.ratioToKafkaLimit,
      ingestPerSecond: results.ingestPerSecond,
      e2eP50Ms: steady.healthy.p50,
      e2eP99Ms: steady.healthy.p99,
      isolationRatio: results.isolation.ratio,
      orderedP99RatioToUnordered: results.ordering.p99RatioToUnordered,
      orderViolations: results.ordering.orderViolations,
      undelivered: steady.missing + withDead.missing + ordered.missing,
      signatureFailures: throughput.verificationFailures.length,
    },
    targets: {
      ratioToHttpLimit: { atLeast: options.targetHttpRatio },
      e2eP99Ms: { atMost: options.targetP99Ms },
      isolationRatio: { atMost: options.targetIsolationRatio },
      orderViolations: { atMost: 0 },
      undelivered: { atMost: 0 },
      signatureFailures: { atMost: 0 },
    },
  };

  /**
   * The retry path, untimed as well: `count` events through the API at 50 a second to endpoints that refuse each
   * webhook once, so every delivery is retried 1 s later, through the retry scheduler's Kafka transactions. On a
   * stack just started nothing else runs a transaction before the isolation run's dead endpoints time out, and
   * there the broker's first ones cost a burst: measured, some 260 classes loaded and its compiler threads near a
   * full core for a second, in the middle of the timed run. A broker that has been running did that long ago.
   */
  async function warmUpRetries(count: number) {
    // Ten endpoints at 5 webhooks a second each: a success comes between failures before ten come in a row,
    // the circuit's threshold.
    const merchants: Merchant[] = [];
    for (let index = 0; index < 10; index++) {
      const merchant = await api.createMerchant(`bench retry warm-up ${index}`);
      const origin = `http://${addresses[index % addresses.length]}:${receiver.port}`;
      const path = `/fail-once/retry-warm-up/${index}`;
      await api.createEndpoint(merchant, origin, path, [THROUGHPUT_EVENT_TYPE], { retrySchedule: ['1s'] });
      merchants.push(merchant);
    }
    await receiver.reset({ recordArrivals: false });
    await phase('retry warm-up', count, 'deliveries', async (progress) => {
      const sends: Promise<string>[] = [];
      for (let sent = 0; sent < count; sent++) {
        sends.push(api.postEvent(merchants[sent % merchants.length] as Merchant, exampleJson));
        // One event to each merchant every 200 ms.
        if (sent % merchants.length === merchants.length - 1) await sleep(200);
      }
      await Promise.all(sends);
      await awaitDeliveries(receiver, count, 'retry warm-up', STALL_TIMEOUT_MS, bench.signal, progress);
    });
    const { refusedOnce } = await receiver.stats();
    if (refusedOnce < count) {
      throw new Error(`retry warm-up: ${count - refusedOnce} of ${count} webhooks arrived without being retried`);
    }
  }

  /**
   * `ratePerS` events a second through the API, round robin over `merchants` tenants with one endpoint each
   * (`deadCount` of them never answer), for the warm-up and then `durationS` recorded: the latency from each
   * 202 to its arrival at the receiver, over the endpoints that answer. With `orderingKeys`, the endpoints order
   * per key and the events' transaction ids cycle over that many keys; the run then checks the order they arrived in.
   */
  async function steadyRun(
    name: string,
    { deadCount = 0, orderingKeys }: { deadCount?: number; orderingKeys?: number } = {},
  ) {
    // The dead endpoints' requests (and their retries, after the run) hold their origins' connections: only the
    // run with dead endpoints goes to the origins after the first `merchants`.
    const addressOffset = deadCount > 0 ? options.merchants : 0;
    const merchants: { merchant: Merchant; endpoint: RegisteredEndpoint }[] = [];
    for (let index = 0; index < options.merchants; index++) {
      const merchant = await api.createMerchant(`bench ${name} ${index}`);
      const isDead = index < deadCount;
      const address = addresses[(index + addressOffset) % addresses.length];
      const path = `${isDead ? '/dead' : ''}/${name}/${index}`;
      merchants.push({
        merchant,
        endpoint: await api.createEndpoint(merchant, `http://${address}:${receiver.port}`, path, ['*'], {
          ordering: orderingKeys ? 'per-key' : 'none',
        }),
      });
    }
    const orderingKeyOf = (sent: number) => (orderingKeys ? `txn_bench_${sent % orderingKeys}` : null);
    const dataOf = (sent: number) => {
      const orderingKey = orderingKeyOf(sent);
      return orderingKey ? { ...exampleJson, transactionId: orderingKey } : exampleJson;
    };
    await receiver.setSecrets(Object.fromEntries(merchants.map(({ endpoint }) => [endpoint.path, endpoint.secret])));
    // Every run starts from the same state: earlier phases' records all consumed, the projector caught up.
    await awaitCaughtUp([producer.baseUrl, dispatcher.baseUrl], bench.signal);
    await receiver.reset({ recordArrivals: true });
    // Every healthy endpoint is known to the dispatcher before the clock starts.
    for (const [index, { merchant }] of merchants.entries()) {
      if (index >= deadCount) await api.postEvent(merchant, dataOf(index));
    }
    await awaitDeliveries(receiver, options.merchants - deadCount, `${name} warm-up`, 60_000, bench.signal);
    await receiver.reset({ recordArrivals: true });

    // Each recorded event's 202 time, the path of the endpoint it goes to, and what the order check needs.
    const acceptedAt = new Map<string, AcceptedEvent>();
    const total = options.ratePerS * (options.warmUpS + options.durationS);
    const recordFrom = options.ratePerS * options.warmUpS;
    let failure: unknown;
    await phase(
      `${name} at ${options.ratePerS}/s${deadCount ? `, ${deadCount} dead endpoints` : ''}`,
      total,
      'events',
      async (progress) => {
        const sends: Promise<void>[] = [];
        const loadStartedAt = performance.now();
        for (let sent = 0; sent < total;) {
          bench.signal.throwIfAborted();
          if (failure) throw failure;
          const due =
            Math.min(total, Math.floor(((performance.now() - loadStartedAt) / 1000) * options.ratePerS)) - sent;
          for (let index = 0; index < due; index++, sent++) {
            const { merchant, endpoint } = merchants[sent % merchants.length] as (typeof merchants)[number];
            const isRecorded = sent >= recordFrom;
            const orderingKey = orderingKeyOf(sent);
            const postedAt = now();
            sends.push(
              api.postEvent(merchant, dataOf(sent)).then(
                (eventId) => {
                  if (isRecorded) acceptedAt.set(eventId, { postedAt, at: now(), path: endpoint.path, orderingKey });
                },
                (error: unknown) => void (failure ??= error),
              ),
            );
          }
          progress(sent);
          await sleep(5);
        }
        await Promise.all(sends);
        if (failure) throw failure;
      },
    );
    const healthyPaths = new Set(merchants.slice(deadCount).map(({ endpoint }) => endpoint.path));
    const expectedHealthy = [...acceptedAt.values()].filter(({ path }) => healthyPaths.has(path)).length;
    // The receiver may still be receiving the last events: wait for them, then match arrivals to 202s.
    const drainDeadline = performance.now() + 30_000;
    let latencies: number[];
    for (;;) {
      latencies = [];
      for (const [eventId, path, arrivedAt] of await receiver.arrivals()) {
        const accepted = acceptedAt.get(eventId);
        if (accepted?.path === path && healthyPaths.has(path)) latencies.push(arrivedAt - accepted.at);
      }
      if (latencies.length >= expectedHealthy || performance.now() > drainDeadline) break;
      await sleep(250);
    }
    const stats = await receiver.stats();
    const healthy = summarize(latencies);
    const arrivals = await receiver.arrivals();
    const stages = await latencyStages(database.url, acceptedAt, arrivals);
    const missing = expectedHealthy - latencies.length;
    const duplicates = stats.requests - stats.uniqueWebhookIds;
    console.log(
      `${BENCH}: ${name}: ${latencies.length} healthy deliveries: p50 ${healthy.p50} ms, p95 ${healthy.p95} ms, ` +
        `p99 ${healthy.p99} ms, max ${healthy.max} ms; ${missing} missing, ${duplicates} duplicates; ` +
        `${stats.hanging} requests held by dead endpoints`,
    );
    console.log(
      `${BENCH}: ${name}: where it goes (p50 / p99 ms): API 202 → fanned out ${stages.fanOut.p50} / ${stages.fanOut.p99}, ` +
        `→ attempt started ${stages.dispatch.p50} / ${stages.dispatch.p99}, → arrived ${stages.http.p50} / ${stages.http.p99}`,
    );
    if (stats.verificationFailures.length > 0) {
      throw new Error(`signatures failed verification: ${stats.verificationFailures.join('; ')}`);
    }
    const order = orderCheck(acceptedAt, arrivals);
    if (orderingKeys) {
      // A key's events are posted further apart than a delivery takes, so they would arrive in order even with
      // the ordering unused: every delivery that arrived must have been numbered by the sequencer, too.
      const endpointIdOf = new Map(merchants.map(({ endpoint }) => [endpoint.path, endpoint.id]));
      const arrivedDeliveryIds = new Set(
        arrivals.flatMap(([eventId, path]) => {
          const endpointId = acceptedAt.has(eventId) ? endpointIdOf.get(path) : undefined;
          return endpointId ? [deliveryIdFor(eventId, endpointId)] : [];
        }),
      );
      const numbered = await numberedDeliveries(database.url, [...arrivedDeliveryIds]);
      console.log(
        `${BENCH}: ${name}: ${order.checked} deliveries over ${order.keys} keys checked: ${order.violations} arrived ` +
          `before one of their key accepted first; ${numbered} of ${arrivedDeliveryIds.size} numbered by the sequencer`,
      );
      if (numbered < arrivedDeliveryIds.size) {
        throw new Error(`${name}: deliveries arrived without a sequence number: the endpoints' ordering went unused`);
      }
    }
    return { healthy, missing, deadCount, verified: stats.verified, stages, orderViolations: order.violations };
  }
});

/** A recorded event of a steady run: when it was posted, its 202, its endpoint's path, its ordering key if any. */
interface AcceptedEvent {
  readonly postedAt: number;
  readonly at: number;
  readonly path: string;
  readonly orderingKey: string | null;
}

/**
 * Deliveries that arrived before a delivery of the same key and endpoint that was accepted first. Accepted first
 * means its 202 came back before the other was even posted: of two posts of one key in flight together, the 202s'
 * order is not the acceptance order, so such pairs are not counted (rather than guessing a margin). At the
 * defaults a key's events are posted 400 ms apart (200 keys at 500/s), far longer than a 202 takes, so nearly every
 * pair counts. A repeated delivery is judged by its first arrival.
 */
function orderCheck(acceptedAt: ReadonlyMap<string, AcceptedEvent>, arrivals: readonly Arrival[]) {
  const byKey = new Map<string, { postedAt: number; acceptedAt: number; arrivedAt: number }[]>();
  const seen = new Set<string>();
  for (const [eventId, path, arrivedAt] of arrivals) {
    const event = acceptedAt.get(eventId);
    if (!event?.orderingKey || event.path !== path || seen.has(eventId)) continue;
    seen.add(eventId);
    const key = `${path} ${event.orderingKey}`;
    const deliveries = byKey.get(key) ?? [];
    deliveries.push({ postedAt: event.postedAt, acceptedAt: event.at, arrivedAt });
    byKey.set(key, deliveries);
  }
  let violations = 0;
  for (const deliveries of byKey.values()) {
    // Last arrival first: each delivery is compared with every one that arrived after it.
    deliveries.sort((a, b) => b.arrivedAt - a.arrivedAt);
    let firstAcceptedOfLater = Infinity;
    for (const delivery of deliveries) {
      if (firstAcceptedOfLater < delivery.postedAt) violations++;
      firstAcceptedOfLater = Math.min(firstAcceptedOfLater, delivery.acceptedAt);
    }
  }
  return { violations, checked: seen.size, keys: byKey.size };
}

/** How many of the deliveries the sequencer numbered (`ordering_numbered`, written before it lets one go). */
async function numberedDeliveries(databaseUrl: string, deliveryIds: readonly string[]): Promise<number> {
  const pool = createPool(databaseUrl, createLogger(BENCH, 'error'), 1);
  try {
    const { rows } = await pool.query<{ count: string }>(
      'SELECT count(*) AS count FROM ordering_numbered WHERE delivery_id = ANY($1)',
      [deliveryIds],
    );
    return Number(rows[0]?.count ?? 0);
  } finally {
    await pool.end();
  }
}

/** Waits (up to a minute) until the apps' consumer groups have at most a few records left to consume. */
async function awaitCaughtUp(appUrls: readonly string[], signal: AbortSignal): Promise<void> {
  const deadline = performance.now() + 60_000;
  let lag = Infinity;
  while (performance.now() < deadline) {
    signal.throwIfAborted();
    lag = 0;
    for (const url of appUrls) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      for (const match of metrics.matchAll(/^hookstream_consumer_lag\{[^}]*\} (\d+)$/gm)) lag += Number(match[1]);
    }
    if (lag <= 20) return;
    await sleep(500);
  }
  console.log(`${BENCH}: the apps still had ${lag} records to consume after a minute; going on`);
}

/** Transactions committed in the run's database so far (the projector's, mostly). */
async function postgresTransactions(databaseUrl: string, name: string): Promise<number> {
  const pool = createPool(databaseUrl, createLogger(BENCH, 'error'), 1);
  try {
    const { rows } = await pool.query<{ commits: string }>(
      'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = $1',
      [name],
    );
    return Number(rows[0]?.commits ?? 0);
  } finally {
    await pool.end();
  }
}

/**
 * Where the end-to-end latency goes, from the projections: the 202 → the fan-out's scheduling time (the
 * delivery's `created_at`) → the dispatcher's first attempt (`attempts.at`, before the request) → the arrival.
 * Clocks are one machine's; the rows come once the projector has caught up (waited for, briefly).
 */
async function latencyStages(
  databaseUrl: string,
  acceptedAt: ReadonlyMap<string, { at: number; path: string }>,
  arrivals: readonly Arrival[],
) {
  const arrivedAt = new Map(arrivals.map(([eventId, , at]) => [eventId, at]));
  const eventIds = [...acceptedAt.keys()].filter((eventId) => arrivedAt.has(eventId));
  const pool = createPool(databaseUrl, createLogger(BENCH, 'error'), 1);
  try {
    let rows: { event_id: string; scheduled_ms: number; attempted_ms: number }[] = [];
    const deadline = performance.now() + 15_000;
    do {
      ({ rows } = await pool.query<{ event_id: string; scheduled_ms: number; attempted_ms: number }>(
        `SELECT d.event_id, extract(epoch FROM d.created_at)::float8 * 1000 AS scheduled_ms,
                extract(epoch FROM a.at)::float8 * 1000 AS attempted_ms
           FROM deliveries d JOIN attempts a ON a.delivery_id = d.id AND a.n = 1
          WHERE d.event_id = ANY($1)`,
        [eventIds],
      ));
      if (rows.length >= eventIds.length) break;
      await sleep(250);
    } while (performance.now() < deadline);
    const fanOut: number[] = [];
    const dispatch: number[] = [];
    const http: number[] = [];
    for (const row of rows) {
      const accepted = acceptedAt.get(row.event_id)?.at;
      const arrived = arrivedAt.get(row.event_id);
      if (accepted === undefined || arrived === undefined) continue;
      fanOut.push(row.scheduled_ms - accepted);
      dispatch.push(row.attempted_ms - row.scheduled_ms);
      http.push(arrived - row.attempted_ms);
    }
    return { fanOut: summarize(fanOut), dispatch: summarize(dispatch), http: summarize(http) };
  } finally {
    await pool.end();
  }
}

function loopbackAddress(index: number): string {
  const host = index + 2;
  return `127.0.${Math.floor(host / 250)}.${(host % 250) + 1}`;
}

function pick(summary: LatencySummary) {
  return { p50: summary.p50, p95: summary.p95, p99: summary.p99, max: summary.max };
}

/** Waits until the receiver has `expected` distinct webhook ids, failing when none arrive for `stallMs`. */
async function awaitDeliveries(
  receiver: ReceiverProcess,
  expected: number,
  name: string,
  stallMs: number,
  signal: AbortSignal,
  progress: (value: number) => void = () => undefined,
) {
  let seen = -1;
  let progressedAt = performance.now();
  for (;;) {
    signal.throwIfAborted();
    const stats = await receiver.stats();
    progress(stats.uniqueWebhookIds);
    if (stats.verificationFailures.length > 0) {
      throw new Error(`${name}: signatures failed verification: ${stats.verificationFailures.join('; ')}`);
    }
    if (stats.uniqueWebhookIds >= expected && stats.firstAt !== null && stats.lastAt !== null) {
      return {
        firstAt: stats.firstAt,
        lastAt: stats.lastAt,
        duplicates: stats.requests - stats.uniqueWebhookIds,
        verified: stats.verified,
        verificationFailures: stats.verificationFailures,
      };
    }
    if (stats.uniqueWebhookIds !== seen) {
      seen = stats.uniqueWebhookIds;
      progressedAt = performance.now();
    } else if (performance.now() - progressedAt > stallMs) {
      throw new Error(`${name}: ${seen} of ${expected} deliveries arrived, then none for ${stallMs / 1000} s`);
    }
    await sleep(200);
  }
}

/** Runs one phase under a progress bar (a line every 2 s outside a terminal). */
async function phase<T>(
  name: string,
  total: number,
  unit: string,
  run: (progress: ((value: number) => void) & { readonly startedAt: number }) => Promise<T>,
): Promise<T> {
  const bar = new SingleBar(
    {
      format: `${name.padEnd(48)} |{bar}| {percentage}% {value}/{total} ${unit}, {duration}s`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  const progress = Object.assign((value: number) => bar.update(Math.min(total, Math.round(value))), {
    startedAt: performance.now(),
  });
  try {
    const result = await run(progress);
    bar.update(total);
    return result;
  } finally {
    bar.stop();
  }
}

function elapsedSince(progress: { readonly startedAt: number }): number {
  return round((performance.now() - progress.startedAt) / 1000);
}

/** The REST calls of the run, over one keep-alive pool to the producer. */
function apiOf(baseUrl: string, adminToken: string) {
  const client = new Pool(baseUrl, { connections: 128, keepAliveTimeout: 30_000 });
  const call = async <T>(method: 'GET' | 'POST', path: string, key: string, body: unknown, expected: number) => {
    const response = await client.request({
      method,
      path,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.body.text();
    if (response.statusCode !== expected) {
      throw new Error(
        `${method} ${path} answered ${response.statusCode} (expected ${expected}): ${text.slice(0, 500)}`,
      );
    }
    return JSON.parse(text) as T;
  };
  const api = {
    async createMerchant(name: string): Promise<Merchant> {
      const tenant = await call<{ id: string; keys: { sandbox: string } }>(
        'POST',
        '/v1/admin/tenants',
        adminToken,
        { name },
        201,
      );
      return { tenantId: tenant.id, sandboxKey: tenant.keys.sandbox };
    },
    async createEndpoint(
      merchant: Merchant,
      origin: string,
      path: string,
      eventTypes: string[],
      settings: { ordering?: 'none' | 'per-key'; retrySchedule?: string[] } = {},
    ) {
      const endpoint = await call<{ id: string; secret: string }>(
        'POST',
        '/v1/endpoints',
        merchant.sandboxKey,
        { url: `${origin}${path}`, eventTypes, ...settings },
        201,
      );
      return { id: endpoint.id, path, secret: endpoint.secret };
    },
    async postEvent(merchant: Merchant, data: unknown): Promise<string> {
      const accepted = await call<{ id: string }>(
        'POST',
        '/v1/events',
        merchant.sandboxKey,
        { type: THROUGHPUT_EVENT_TYPE, data },
        202,
      );
      return accepted.id;
    },
    /** `count` events, `concurrency` requests in flight: accepted events per second. */
    async ingest(
      merchant: Merchant,
      count: number,
      concurrency: number,
      data: unknown,
      progress: (value: number) => void,
      signal: AbortSignal,
    ) {
      let started = 0;
      let accepted = 0;
      const startedAt = performance.now();
      const worker = async () => {
        while (started < count) {
          signal.throwIfAborted();
          started++;
          await api.postEvent(merchant, data);
          accepted++;
          if (accepted % 100 === 0) progress(accepted);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      return { acceptedPerSecond: accepted / ((performance.now() - startedAt) / 1000), accepted };
    },
    close: () => client.close(),
  };
  return api;
}

function printSummary(results: {
  deliveriesPerSecond: number;
  ingestPerSecond: number;
  ratioToHttpLimit: number;
  ratioToKafkaLimit: number;
  e2eLatencyMs: { p50: number; p95: number; p99: number; max: number };
  isolation: { p99Healthy: number; p99WithDead: number; ratio: number };
  ordering: {
    e2eLatencyMs: { p50: number; p95: number; p99: number; max: number };
    p99RatioToUnordered: number;
    orderViolations: number;
    keys: number;
  };
  limits: { httpPostsPerSecond: number; kafkaRecordsPerSecond: number };
  resources: Record<string, { cpuSeconds: number; peakRssMb: number }>;
}) {
  const ordered = results.ordering.e2eLatencyMs;
  const rows: [string, string][] = [
    ['raw HTTP posts/s (limit)', String(results.limits.httpPostsPerSecond)],
    ['raw Kafka records/s (limit)', String(results.limits.kafkaRecordsPerSecond)],
    ['deliveries/s', String(results.deliveriesPerSecond)],
    ['  ratio to HTTP limit', String(results.ratioToHttpLimit)],
    ['  ratio to Kafka limit', String(results.ratioToKafkaLimit)],
    ['ingest events/s (POST /v1/events)', String(results.ingestPerSecond)],
    [
      'e2e latency ms p50/p95/p99/max',
      `${results.e2eLatencyMs.p50} / ${results.e2eLatencyMs.p95} / ${results.e2eLatencyMs.p99} / ${results.e2eLatencyMs.max}`,
    ],
    [
      'isolation p99 healthy → with dead',
      `${results.isolation.p99Healthy} → ${results.isolation.p99WithDead} ms (×${results.isolation.ratio})`,
    ],
    [
      'ordered e2e ms p50/p95/p99/max',
      `${ordered.p50} / ${ordered.p95} / ${ordered.p99} / ${ordered.max} (p99 ×${results.ordering.p99RatioToUnordered})`,
    ],
    [`ordered: order violations (${results.ordering.keys} keys)`, String(results.ordering.orderViolations)],
    ...Object.entries(results.resources).map(([name, use]): [string, string] => [
      `${name}: CPU s, peak MB`,
      `${use.cpuSeconds} s, ${use.peakRssMb} MB`,
    ]),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  console.log('');
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
  console.log('');
}
