import { loadOrExit, runApp } from '@hookstream/app-runtime';
import { connectAdmin, createKafka, kafkaReadiness, schemaRegistryReadiness } from '@hookstream/kafka';
import { createMetricsRegistry } from '@hookstream/observability';
import { createPool, postgresReadiness } from '@hookstream/postgres';
import { loadProducerConfig } from './config';
import { ProducerModule } from './producer.module';

const config = loadOrExit(() => loadProducerConfig(process.env));

void runApp({
  name: 'producer',
  host: config.host,
  port: config.port,
  logLevel: config.logLevel,
  async compose(logger) {
    const kafka = createKafka(config.kafka, 'hookstream-producer', logger);
    const admin = await connectAdmin(kafka, config.kafka, logger);
    const pool = createPool(config.databaseUrl, logger);
    return {
      module: ProducerModule.forRoot({
        metrics: createMetricsRegistry('producer'),
        readinessChecks: [
          kafkaReadiness(admin),
          schemaRegistryReadiness(config.kafka.registryUrl),
          postgresReadiness(pool),
        ],
      }),
      closeables: [() => admin.disconnect(), () => pool.end()],
    };
  },
});
