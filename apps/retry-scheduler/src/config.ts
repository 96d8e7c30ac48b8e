import { envPort, parseEnv, runtimeSettingsSchema } from '@hookstream/settings';
import { kafkaSettingsFrom, kafkaSettingsSchema, type KafkaSettings } from '@hookstream/kafka';

const schema = runtimeSettingsSchema.extend(kafkaSettingsSchema.shape).extend({
  RETRY_SCHEDULER_PORT: envPort(3002),
});

export interface RetrySchedulerConfig {
  readonly isLocal: boolean;
  readonly logLevel: string;
  readonly host: string;
  /** Health and metrics only. */
  readonly port: number;
  readonly kafka: KafkaSettings;
}

export function loadRetrySchedulerConfig(env: NodeJS.ProcessEnv): RetrySchedulerConfig {
  const parsed = parseEnv(schema, env);
  return Object.freeze({
    isLocal: parsed.HOOKSTREAM_LOCAL,
    logLevel: parsed.LOG_LEVEL,
    host: parsed.HOST,
    port: parsed.RETRY_SCHEDULER_PORT,
    kafka: kafkaSettingsFrom(parsed),
  });
}
