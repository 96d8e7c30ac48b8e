import { loadOrExit, runApp } from '@hookstream/app-runtime';
import { connectAdmin, createKafka, kafkaReadiness } from '@hookstream/kafka';
import { createMetricsRegistry } from '@hookstream/observability';
import { loadRetrySchedulerConfig } from './config';
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
    return {
      module: RetrySchedulerModule.forRoot({
        metrics: createMetricsRegistry('retry-scheduler'),
        readinessChecks: [kafkaReadiness(admin)],
      }),
      closeables: [() => admin.disconnect()],
    };
  },
});
