import { loadOrExit, runApp } from '@hookstream/app-runtime';
import { EventCatalogue, loadSchemaFiles, type RetryRequested, RETRY_TIERS, topicNames } from '@hookstream/contracts';
import {
  connectAdmin,
  ConsumerLagSampler,
  createKafka,
  createAvroCodec,
  decodeOrPoison,
  DelayedRecordsConsumer,
  type KafkaMessage,
  kafkaReadiness,
  quarantineRecord,
  registerConsumerLag,
  registerSchemas,
  schemaRegistryReadiness,
} from '@hookstream/kafka';
import { createMetricsRegistry } from '@hookstream/observability';
import { Counter, Gauge, Histogram } from 'prom-client';
import { loadRetrySchedulerConfig } from './config';
import { nextHop } from './next-hop';
import { RetrySchedulerModule } from './retry-scheduler.module';

const config = loadOrExit(() => loadRetrySchedulerConfig(process.env));

void runApp({
  name: 'retry-scheduler',
  host: config.host,
  port: config.port,
  logLevel: config.logLevel,
  async compose(logger) {
    const kafka = createKafka(config.kafka, 'hookstream-retry-scheduler', logger);
    const admin = await connectAdmin(kafka, config.kafka, logger);
    const topics = topicNames(config.kafka.topicPrefix);
    const codec = createAvroCodec(config.kafka, logger);
    const schemas = await registerSchemas(codec, new EventCatalogue(loadSchemaFiles()), topics, logger);
    const metrics = createMetricsRegistry('retry-scheduler');
    const lateness = new Histogram({
      name: 'hookstream_retry_fire_lateness_seconds',
      help: 'How late a retry tier record fired: from its due time to its next record committed',
      labelNames: ['tier'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 30, 300],
      registers: [metrics],
    });
    const quarantined = new Counter({
      name: 'hookstream_retry_quarantined_total',
      help: 'Retry tier records that could not be read, set aside on the quarantine topic',
      registers: [metrics],
    });
    const tierOf = new Map(RETRY_TIERS.map((tier) => [topics.retry(tier), tier]));

    /** The retry a tier record holds, or why it can never be read (quarantined when due); a registry outage throws and is retried. */
    const decode = async (message: KafkaMessage) => {
      const decoded = await decodeOrPoison(message.value, (bytes) => codec.decode<RetryRequested>(bytes));
      return decoded.failure ? { reason: decoded.failure.reason } : { retry: decoded.value.value };
    };

    const nextHopOrReason = (retry: RetryRequested) => {
      try {
        return nextHop(retry, Date.now());
      } catch (error) {
        return (error as Error).message;
      }
    };

    const group = {
      groupId: `${config.kafka.topicPrefix}-retry-scheduler`,
      topics: RETRY_TIERS.map((tier) => topics.retry(tier)),
    };
    const scheduler = new DelayedRecordsConsumer({
      kafka,
      groupId: group.groupId,
      topics: group.topics,
      transactionalIdPrefix: `${config.kafka.topicPrefix}-retry-scheduler`,
      logger,
      // An unreadable record is due at once: it goes to quarantine instead of blocking its partition.
      dueAt: async (message) => (await decode(message)).retry?.dueAt ?? 0,
      fire: async (message, topic, partition) => {
        const { retry, reason: unreadable } = await decode(message);
        const hop = retry && nextHopOrReason(retry);
        if (!retry || typeof hop === 'string' || !hop) {
          quarantined.inc();
          logger.warn(
            { topic, partition, offset: message.offset, reason: unreadable ?? hop },
            'retry record quarantined',
          );
          // Written in the same transaction as the consumed offset: once, and the partition moves on.
          const reason = typeof hop === 'string' ? hop : (unreadable ?? 'not a decodable retry record');
          return [quarantineRecord(topics.quarantine, topic, message, reason, { partition, group: group.groupId })];
        }
        return hop.kind === 'tier'
          ? [
              {
                topic: topics.retry(hop.tier),
                message: {
                  key: retry.endpointId,
                  value: await codec.encode(schemas.internal['retry-requested'].id, hop.record),
                },
              },
            ]
          : [
              {
                topic: topics.dispatch,
                message: {
                  key: retry.endpointId,
                  value: await codec.encode(schemas.internal['dispatch-requested'].id, hop.record),
                },
              },
            ];
      },
      onFired: (topic, latenessMs) => lateness.observe({ tier: tierOf.get(topic) ?? topic }, latenessMs / 1000),
    });
    // The backlog is this group's lag on the tier topics: one sample (cached) feeds both gauges.
    const lagSampler = new ConsumerLagSampler(admin, logger);
    registerConsumerLag({ sampler: lagSampler, groups: [group], registers: [metrics] });
    new Gauge({
      name: 'hookstream_retry_backlog',
      help: 'Retries waiting in each tier topic: records the retry scheduler has not yet fired',
      labelNames: ['tier'],
      registers: [metrics],
      async collect() {
        for (const [topic, waiting] of await lagSampler.lag(group))
          this.set({ tier: tierOf.get(topic) ?? topic }, waiting);
      },
    });
    new Gauge({
      name: 'hookstream_retry_waiting_partitions',
      help: 'Tier partitions paused until their head record falls due',
      registers: [metrics],
      collect() {
        this.set(scheduler.waitingPartitions);
      },
    });
    return {
      module: RetrySchedulerModule.forRoot({
        metrics,
        readinessChecks: [
          kafkaReadiness(admin),
          schemaRegistryReadiness(config.kafka.registryUrl, { startedWithSchemas: true }),
        ],
      }),
      afterListen: () => scheduler.start(),
      closeables: [
        ['retry scheduler', () => scheduler.stop()],
        ['Kafka admin', () => admin.disconnect()],
      ],
    };
  },
});
