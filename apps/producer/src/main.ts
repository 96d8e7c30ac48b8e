import { loadOrExit, runApp } from '@hookstream/app-runtime';
import {
  deliveryStatusProto,
  EventCatalogue,
  loadFormatDeprecations,
  loadSchemaFiles,
  topicNames,
} from '@hookstream/contracts';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import {
  connectAdmin,
  ConsumerLagSampler,
  createKafka,
  createAvroCodec,
  kafkaReadiness,
  Publisher,
  QuarantineWriter,
  registerConsumerLag,
  registerSchemas,
  schemaRegistryReadiness,
} from '@hookstream/kafka';
import { createMetricsRegistry, httpMetrics } from '@hookstream/observability';
import { createPool, migrate } from '@hookstream/postgres';
import { ApiKeyHasher, SecretSealer } from '@hookstream/secrets';
import { fromSetting } from '@hookstream/settings';
import { Counter, Gauge } from 'prom-client';
import { loadProducerConfig } from './config';
import { EndpointHealthSweeper } from './endpoints/endpoint-health-sweeper';
import { EndpointsRepository } from './endpoints/endpoints.repository';
import { onEndpointDisabledConsumer } from './endpoints/on-endpoint-disabled.consumer';
import { OutboxRelay } from './endpoints/outbox-relay';
import { FormatDeprecationNotices } from './event-types/format-deprecation-notices';
import { FormatDeprecationNotifier } from './event-types/format-deprecation-notifier';
import { IngestMetrics } from './events/ingest-metrics';
import { FanOut } from './fan-out/fan-out';
import { configureHttp } from './http/configure-http';
import { ProducerContext } from './producer-context';
import { Projector } from './projector/projector';
import { Sequencer } from './sequencer/sequencer';
import { registerProjectorMetrics } from './projector/projector-metrics';
import { ProducerModule } from './producer.module';

const config = loadOrExit(() => loadProducerConfig(process.env));
const catalogue = new EventCatalogue(loadSchemaFiles());
// A bad deprecation entry stops the start, naming the entry, before anything is connected.
const formatDeprecations = loadOrExit(() =>
  fromSetting('FORMAT_DEPRECATIONS_FILE', () => loadFormatDeprecations(catalogue, config.formatDeprecations.file)),
);

void runApp({
  name: 'producer',
  host: config.host,
  port: config.port,
  logLevel: config.logLevel,
  async compose(logger) {
    const pool = createPool(config.databaseUrl, logger);
    await migrate(pool, logger);
    logger.debug('start-up: database migrated');
    const kafka = createKafka(config.kafka, 'hookstream-producer', logger);
    const admin = await connectAdmin(kafka, config.kafka, logger);
    const topics = topicNames(config.kafka.topicPrefix);
    const codec = createAvroCodec(config.kafka, logger);
    const schemas = await registerSchemas(codec, catalogue, topics, logger);
    logger.debug('start-up: schemas registered');
    // Its own client, retrying every second for about 20 s: a request caught by a broker restart goes
    // through as soon as the broker is back, rather than after kafkajs's backoff (up to 13 s) while every
    // publish queued behind it times out; and it stays in flight through a short outage instead of failing,
    // so that the publishes after it are dropped unsent rather than sent into the outage.
    const publishing = createKafka(config.kafka, 'hookstream-producer', logger, { maxRetryTime: 1000, retries: 20 });
    const publisher = new Publisher(publishing, {
      timeoutMs: config.publishTimeoutMs,
      requestGapMs: config.publishRequestGapMs,
    });
    await publisher.connect();
    logger.debug('start-up: publisher connected');
    const outbox = new OutboxRelay(
      pool,
      topics.endpoints,
      publisher,
      codec,
      schemas.internal['endpoint-configured'],
      logger,
    );
    await outbox.start();
    logger.debug('start-up: outbox relay started');
    const context = new ProducerContext(
      catalogue,
      topics,
      codec,
      schemas,
      publisher,
      new SecretSealer(config.masterKey),
      outbox,
      kafka,
      admin,
    );
    const quarantine = new QuarantineWriter(kafka, topics.quarantine);
    const groups = {
      fanOut: `${config.kafka.topicPrefix}-fan-out`,
      endpointStatus: `${config.kafka.topicPrefix}-endpoint-status`,
      projector: `${config.kafka.topicPrefix}-projector`,
      sequencer: `${config.kafka.topicPrefix}-sequencer`,
    };
    const fanOutPublisher = new Publisher(kafka);
    await fanOutPublisher.connect();
    const fanOut = new FanOut({
      kafka,
      admin,
      publisher: fanOutPublisher,
      codec,
      schemas,
      catalogue,
      topics,
      groupId: groups.fanOut,
      concurrency: config.fanOutConcurrency,
      logger,
      quarantine,
      crashBeforeCommit: config.isLocal && config.testHooks.crashFanOutBeforeCommit,
    });
    // Its own connections: an ordered delivery waits on each of its batches, never behind the API or the projector.
    const sequencerPool = createPool(config.databaseUrl, logger, config.sequencerConcurrency);
    const sequencer = new Sequencer({
      kafka,
      db: sequencerPool,
      codec,
      schemas,
      topics,
      publisher,
      groupId: groups.sequencer,
      logger,
      quarantine,
      concurrency: config.sequencerConcurrency,
    });
    const endpoints = new EndpointsRepository(pool);
    const endpointDisabled = onEndpointDisabledConsumer({
      kafka,
      groupId: groups.endpointStatus,
      topics,
      codec,
      schema: schemas.internal['endpoint-disabled'],
      repository: endpoints,
      outbox,
      logger,
      quarantine,
    });
    const metrics = createMetricsRegistry('producer');
    const endpointHealth = new EndpointHealthSweeper({
      db: pool,
      repository: endpoints,
      publisher,
      codec,
      schema: schemas.internal['endpoint-disabled'],
      topics,
      logger,
      disableAfterMs: config.endpointHealth.disableAfterMs,
      disableAfter: config.endpointHealth.disableAfter,
      intervalMs: config.endpointHealth.sweepIntervalMs,
      metrics: {
        sweeps: new Counter({
          name: 'hookstream_endpoint_health_sweeps_total',
          help: 'Sweeps for continuously failing endpoints, by outcome (locked: another producer was sweeping)',
          labelNames: ['outcome'],
          registers: [metrics],
        }),
        disabled: new Counter({
          name: 'hookstream_endpoints_disabled_total',
          help: 'Endpoints disabled because every delivery failed for ENDPOINT_DISABLE_AFTER',
          registers: [metrics],
        }),
      },
    });
    const formatDeprecationNotifier = new FormatDeprecationNotifier({
      db: pool,
      notices: new FormatDeprecationNotices(pool),
      deprecations: formatDeprecations,
      catalogue,
      publisher,
      codec,
      schemas,
      topics,
      logger,
      intervalMs: config.formatDeprecations.sweepIntervalMs,
      metrics: {
        sweeps: new Counter({
          name: 'hookstream_format_deprecation_sweeps_total',
          help: 'Sweeps for endpoints still to be told of a format deprecation, by outcome (locked: another producer was sweeping)',
          labelNames: ['outcome'],
          registers: [metrics],
        }),
        notices: new Counter({
          name: 'hookstream_format_deprecation_notices_total',
          help: 'hookstream.format_deprecated notices sent, one per endpoint and deprecated format version',
          registers: [metrics],
        }),
      },
    });
    const projector = new Projector({
      kafka,
      db: pool,
      codec,
      schemas,
      catalogue,
      topics,
      groupId: groups.projector,
      logger,
      quarantine,
      concurrency: config.projectorConcurrency,
      crashBeforeCommit: config.testHooks.crashProjectorBeforeCommit,
    });
    const ingestMetrics = new IngestMetrics(metrics);
    registerProjectorMetrics({
      admin,
      db: pool,
      topics: [topics.events, topics.deliveryEvents],
      lastProjectedTimestamps: () => projector.lastProjectedTimestamps,
      logger,
      registers: [metrics],
    });
    registerConsumerLag({
      sampler: new ConsumerLagSampler(admin, logger),
      groups: [
        { groupId: groups.fanOut, topics: [topics.events] },
        { groupId: groups.endpointStatus, topics: [topics.deliveryEvents] },
        { groupId: groups.projector, topics: [topics.events, topics.deliveryEvents] },
        { groupId: groups.sequencer, topics: [topics.ordering] },
      ],
      registers: [metrics],
    });
    new Gauge({
      name: 'hookstream_ordering_waiting',
      help: 'Deliveries of per-key endpoints parked until the one before them in their key ends',
      registers: [metrics],
      async collect() {
        this.set(await sequencer.waitingCount().catch(() => Number.NaN));
      },
    });
    return {
      module: ProducerModule.forRoot({
        config,
        logger,
        database: pool,
        apiKeyHasher: new ApiKeyHasher(config.masterKey),
        context,
        formatDeprecations,
        ingestMetrics,
        observability: {
          metrics,
          // Not Postgres: every producer would turn unready at once, and a load balancer would then refuse
          // the ingest that still works through Kafka; its routes answer 503 with Retry-After themselves.
          readinessChecks: [
            kafkaReadiness(admin),
            schemaRegistryReadiness(config.kafka.registryUrl, { startedWithSchemas: true }),
          ],
        },
      }),
      configure: (app) => {
        app.use(httpMetrics(metrics), ingestMetrics.countErrors());
        configureHttp(app, logger, config.version);
        app.connectMicroservice<MicroserviceOptions>({
          transport: Transport.GRPC,
          options: {
            package: 'hookstream.v1',
            protoPath: deliveryStatusProto(),
            url: `${config.host}:${config.grpcPort}`,
          },
        });
      },
      afterListen: async () => {
        await fanOut.start();
        await sequencer.start();
        await endpointDisabled.start();
        await projector.start();
        endpointHealth.start();
        formatDeprecationNotifier.start();
      },
      closeables: [
        ['endpoint health', () => endpointHealth.stop()],
        ['format deprecation notifier', () => formatDeprecationNotifier.stop()],
        ['fan-out', () => fanOut.stop()],
        ['fan-out publisher', () => fanOutPublisher.disconnect()],
        ['sequencer', () => sequencer.stop()],
        ['projector', () => projector.stop()],
        ['endpoint-status consumer', () => endpointDisabled.stop()],
        ['quarantine publisher', () => quarantine.disconnect()],
        ['outbox relay', () => outbox.stop()],
        ['publisher', () => publisher.disconnect()],
        ['Kafka admin', () => admin.disconnect()],
        ['sequencer database pool', () => sequencerPool.end()],
        ['database pool', () => pool.end()],
      ],
    };
  },
});
