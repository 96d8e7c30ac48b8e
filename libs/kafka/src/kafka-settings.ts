import { z } from 'zod';

/** The env vars every app reads to reach Kafka and the schema registry (parsed by each app's config.ts). */
export const kafkaSettingsSchema = z.object({
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((value) => value.split(',').map((broker) => broker.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1)),
  SCHEMA_REGISTRY_URL: z.url().default('http://127.0.0.1:8081/apis/ccompat/v7'),
  /**
   * Schemas persisted for starting and decoding while the registry is down. Under .stack/ like
   * SECRETS_KEY_FILE: relative to the working directory (the repo for local runs, gitignored), and
   * unlike the OS temp dir it survives reboots. Deployments point it at a persistent volume.
   */
  SCHEMA_CACHE_DIR: z.string().min(1).default('.stack/schema-cache'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default('hookstream'),
  KAFKA_TOPIC_PARTITIONS: z.coerce.number().int().min(1).max(256).default(12),
});

export interface KafkaSettings {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  /** Undefined: schemas are not persisted (tools and benchmarks that never outlive the registry). */
  readonly schemaCacheDir?: string;
  readonly topicPrefix: string;
  readonly topicPartitions: number;
}

export function kafkaSettingsFrom(env: z.infer<typeof kafkaSettingsSchema>): KafkaSettings {
  return {
    brokers: env.KAFKA_BROKERS,
    registryUrl: env.SCHEMA_REGISTRY_URL,
    schemaCacheDir: env.SCHEMA_CACHE_DIR,
    topicPrefix: env.KAFKA_TOPIC_PREFIX,
    topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
  };
}
