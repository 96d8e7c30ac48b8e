import { envPort, parseEnv, runtimeSettingsSchema } from '@hookstream/settings';
import { kafkaSettingsFrom, kafkaSettingsSchema, type KafkaSettings } from '@hookstream/kafka';

const schema = runtimeSettingsSchema.extend(kafkaSettingsSchema.shape).extend({
  DISPATCHER_PORT: envPort(3001),
});

export interface DispatcherConfig {
  readonly isLocal: boolean;
  readonly logLevel: string;
  readonly host: string;
  /** Health and metrics only. */
  readonly port: number;
  readonly kafka: KafkaSettings;
}

export function loadDispatcherConfig(env: NodeJS.ProcessEnv): DispatcherConfig {
  const parsed = parseEnv(schema, env);
  return Object.freeze({
    isLocal: parsed.HOOKSTREAM_LOCAL,
    logLevel: parsed.LOG_LEVEL,
    host: parsed.HOST,
    port: parsed.DISPATCHER_PORT,
    kafka: kafkaSettingsFrom(parsed),
  });
}
