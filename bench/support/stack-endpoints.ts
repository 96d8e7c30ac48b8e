import { type KafkaSettings, kafkaSettingsSchema } from '@hookstream/kafka';
import { z } from 'zod';

/** Where the local stack listens, from the same variables (and defaults) the apps read. */
export interface StackEndpoints {
  readonly kafkaBrokers: readonly string[];
  readonly registryUrl: string;
  /** The shared database; benchmarks only use it to create and drop databases of their own. */
  readonly databaseUrl: string;
  /** The producer's admin token: the local mode's unless ADMIN_TOKEN says otherwise. */
  readonly adminToken: string;
}

const schema = kafkaSettingsSchema.pick({ KAFKA_BROKERS: true, SCHEMA_REGISTRY_URL: true }).extend({
  DATABASE_URL: z.string().default('postgres://hookstream:hookstream@127.0.0.1:5432/hookstream'),
  // Empty counts as unset, as the producer reads it.
  ADMIN_TOKEN: z.preprocess((value) => (value === '' ? undefined : value), z.string().default('dev-admin-token')),
});

export function stackEndpoints(env: NodeJS.ProcessEnv = process.env): StackEndpoints {
  const parsed = schema.parse(env);
  return {
    kafkaBrokers: parsed.KAFKA_BROKERS,
    registryUrl: parsed.SCHEMA_REGISTRY_URL,
    databaseUrl: parsed.DATABASE_URL,
    adminToken: parsed.ADMIN_TOKEN,
  };
}

/** Kafka settings for a benchmark's own topic prefix on the local stack. */
export function benchKafkaSettings(stack: StackEndpoints, topicPrefix: string, topicPartitions: number): KafkaSettings {
  return { brokers: stack.kafkaBrokers, registryUrl: stack.registryUrl, topicPrefix, topicPartitions };
}
