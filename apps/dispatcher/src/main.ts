import { loadOrExit, runApp } from '@hookstream/app-runtime';
import { connectAdmin, createKafka, kafkaReadiness, schemaRegistryReadiness } from '@hookstream/kafka';
import { createMetricsRegistry } from '@hookstream/observability';
import { loadDispatcherConfig } from './config';
import { DispatcherModule } from './dispatcher.module';

const config = loadOrExit(() => loadDispatcherConfig(process.env));

void runApp({
  name: 'dispatcher',
  host: config.host,
  port: config.port,
  logLevel: config.logLevel,
  async compose(logger) {
    const kafka = createKafka(config.kafka, 'hookstream-dispatcher', logger);
    const admin = await connectAdmin(kafka, config.kafka, logger);
    return {
      module: DispatcherModule.forRoot({
        metrics: createMetricsRegistry('dispatcher'),
        readinessChecks: [kafkaReadiness(admin), schemaRegistryReadiness(config.kafka.registryUrl)],
      }),
      closeables: [() => admin.disconnect()],
    };
  },
});
