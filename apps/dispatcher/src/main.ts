import { loadOrExit, runApp } from '@hookstream/app-runtime';
import { EventCatalogue, loadSchemaFiles, topicNames } from '@hookstream/contracts';
import {
  ConcurrentConsumer,
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
import { createMetricsRegistry } from '@hookstream/observability';
import { SecretSealer } from '@hookstream/secrets';
import { Counter, Gauge, Histogram } from 'prom-client';
import { loadDispatcherConfig } from './config';
import { DispatchWorker } from './dispatch-worker';
import { DispatcherModule } from './dispatcher.module';
import { EndpointRegistry } from './endpoint-registry';
import { HttpSender } from './http-sender';

const config = loadOrExit(() => loadDispatcherConfig(process.env));

void runApp({
  name: 'dispatcher',
  host: config.host,
  port: config.port,
  logLevel: config.logLevel,
  // The consumer lets requests in flight finish for up to SHUTDOWN_TIMEOUT_MS; the clients close after it.
  stopDeadlineMs: config.shutdownTimeoutMs + 15_000,
  async compose(logger) {
    const kafka = createKafka(config.kafka, 'hookstream-dispatcher', logger);
    const admin = await connectAdmin(kafka, config.kafka, logger);
    const topics = topicNames(config.kafka.topicPrefix);
    const catalogue = new EventCatalogue(loadSchemaFiles());
    const codec = createAvroCodec(config.kafka, logger);
    const schemas = await registerSchemas(codec, catalogue, topics, logger);
    const publisher = new Publisher(kafka, { requestGapMs: config.publishRequestGapMs });
    await publisher.connect();
    const quarantine = new QuarantineWriter(kafka, topics.quarantine);
    const groupId = `${config.kafka.topicPrefix}-dispatcher`;
    const registry = new EndpointRegistry({
      kafka,
      admin,
      topic: topics.endpoints,
      codec,
      sealer: new SecretSealer(config.masterKey),
      name: `${config.kafka.topicPrefix}-dispatcher-endpoints`,
      logger,
      quarantine,
    });
    const sender = new HttpSender({
      localAddress: config.localAddress,
      connectionsPerOrigin: config.endpointConcurrency,
      dnsServers: config.dnsServers,
    });
    const metrics = createMetricsRegistry('dispatcher');
    const worker = new DispatchWorker({
      config,
      registry,
      sender,
      codec,
      schemas,
      catalogue,
      publisher,
      topics,
      logger,
      quarantine,
      groupId,
      metrics: {
        attempts: new Counter({
          name: 'hookstream_dispatcher_attempts_total',
          help: 'Delivery attempts, by outcome and error class',
          labelNames: ['outcome', 'error_class'],
          registers: [metrics],
        }),
        attemptSeconds: new Histogram({
          name: 'hookstream_dispatcher_attempt_duration_seconds',
          help: 'Time from sending a webhook to its answer',
          labelNames: ['outcome'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers: [metrics],
        }),
        parked: new Gauge({
          name: 'hookstream_dispatcher_parked',
          help: 'Deliveries waiting on an open circuit',
          registers: [metrics],
        }),
        duplicateDispatches: new Counter({
          name: 'hookstream_dispatcher_duplicate_dispatches_total',
          help: 'Dispatches of an attempt this dispatcher had already made, skipped',
          registers: [metrics],
        }),
        deliveries: new Counter({
          name: 'hookstream_deliveries_total',
          help: 'Dispatched deliveries by what became of them: succeeded, retry_scheduled, exhausted, dropped',
          labelNames: ['outcome'],
          registers: [metrics],
        }),
      },
    });
    const consumer = new ConcurrentConsumer({
      kafka,
      groupId,
      topic: topics.dispatch,
      logger,
      maxBuffered: config.maxInFlight,
      parkedCount: () => worker.parkedCount,
      maxParked: config.maxParked,
      handle: (message, partition) => worker.handle(message, partition),
    });
    new Gauge({
      name: 'hookstream_dispatcher_in_flight',
      help: 'Dispatch requests taken and not finished',
      registers: [metrics],
      collect() {
        this.set(consumer.inFlight);
      },
    });
    new Gauge({
      name: 'hookstream_dispatcher_open_circuits',
      help: 'Endpoints whose circuit is open',
      registers: [metrics],
      collect() {
        this.set(worker.openCircuits);
      },
    });
    registerConsumerLag({
      sampler: new ConsumerLagSampler(admin, logger),
      groups: [{ groupId, topics: [topics.dispatch] }],
      registers: [metrics],
    });
    return {
      module: DispatcherModule.forRoot({
        metrics,
        readinessChecks: [
          kafkaReadiness(admin),
          schemaRegistryReadiness(config.kafka.registryUrl, { startedWithSchemas: true }),
        ],
      }),
      afterListen: async () => {
        await registry.start();
        await consumer.start();
      },
      closeables: [
        ['dispatch consumer', () => consumer.stop(config.shutdownTimeoutMs)],
        ['dispatch worker', async () => worker.dispose()],
        ['endpoint registry', () => registry.stop()],
        ['HTTP sender', () => sender.close()],
        ['publisher', () => publisher.disconnect()],
        ['quarantine publisher', () => quarantine.disconnect()],
        ['Kafka admin', () => admin.disconnect()],
      ],
    };
  },
});
