import {
  envFlag,
  envPort,
  fromSetting,
  hookstreamVersion,
  parseEnv,
  runtimeSettingsSchema,
} from '@hookstream/settings';
import { parseDnsServers, parseDuration } from '@hookstream/delivery';
import { kafkaSettingsFrom, kafkaSettingsSchema, type KafkaSettings } from '@hookstream/kafka';
import { loadMasterKey, type MasterKey } from '@hookstream/secrets';
import { z } from 'zod';

const LOCAL_ADMIN_TOKEN = 'dev-admin-token';

/** A duration setting (`"5d"`, `"1m"`, `"500ms"`) within bounds, kept as written too (for messages). */
const envDuration = (fallback: string, minMs: number, maxMs: number, bounds: string) =>
  z
    .string()
    .default(fallback)
    .transform((text) => ({ text: text.trim(), ms: parseDuration(text) }))
    .refine(
      (value): value is { text: string; ms: number } =>
        value.ms !== undefined && value.ms >= minMs && value.ms <= maxMs,
      `must be a duration ${bounds}, such as "30s", "5m", "2h" or "5d"`,
    );

const schema = runtimeSettingsSchema
  .extend(kafkaSettingsSchema.shape)
  .extend({
    PORT: envPort(3000),
    GRPC_PORT: envPort(50051),
    DATABASE_URL: z.string().default('postgres://hookstream:hookstream@127.0.0.1:5432/hookstream'),
    /** Test hook, honoured in local mode only: die between publishing a fan-out slice and committing its offset. */
    HOOKSTREAM_TEST_CRASH_FAN_OUT: envFlag,
    /**
     * Partitions whose fetched events the fan-out takes at once. Each partition then fans out on its own; a
     * partition with a full backlog holds its fetch, and with 1 the others' batches would wait to be taken.
     */
    FAN_OUT_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(12),
    /** Partition batches of one fetch the projector takes at once: it writes them in one transaction. */
    PROJECTOR_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(24),
    /** Ordering-topic partitions the sequencer works on at once, each batch in a transaction on a pool of its own. */
    SEQUENCER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
    /** Test hook, honoured in local mode only: die inside a projector transaction, before it commits. */
    HOOKSTREAM_TEST_CRASH_PROJECTOR: envFlag,
    /** An enabled endpoint whose every attempt failed for this long is disabled. */
    ENDPOINT_DISABLE_AFTER: envDuration('5d', 1000, 365 * 86_400_000, 'from 1s to 365d'),
    /** How often a producer looks for such endpoints (one producer at a time does). */
    ENDPOINT_HEALTH_SWEEP_INTERVAL: envDuration('1m', 100, 3_600_000, 'from 100ms to 1h'),
    /** The deprecation catalogue; `schemas/deprecations.json` when unset. */
    FORMAT_DEPRECATIONS_FILE: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
    /** How often a producer looks for endpoints still to be told of a deprecation (one producer at a time does). */
    FORMAT_DEPRECATION_SWEEP_INTERVAL: envDuration('10m', 100, 86_400_000, 'from 100ms to 24h'),
    /**
     * How long an API call waits for Kafka to acknowledge what it publishes before answering 503 with
     * Retry-After (kafkajs alone would retry for minutes while the broker is down).
     */
    PUBLISH_TIMEOUT: envDuration('5s', 100, 60_000, 'from 100ms to 60s'),
    /**
     * The least time between two of the API's produce requests: under load each carries every event accepted
     * since the one before, instead of one request (and broker round) each. An API call waits at most this much
     * longer; after a quiet spell none. The fan-out's publishes, on a webhook's way, never wait.
     */
    PUBLISH_REQUEST_GAP_MS: z.coerce.number().int().min(0).max(1000).default(10),
    /** Events a second each tenant environment may publish (`POST /v1/events`), per producer instance. */
    INGEST_RATE_LIMIT_PER_SECOND: z.coerce.number().int().min(1).max(1_000_000).default(1000),
    /** Events it may publish at once; twice the rate when unset. */
    INGEST_RATE_LIMIT_BURST: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.coerce.number().int().min(1).max(10_000_000).optional(),
    ),
    /** Failed API-key authentications (401) a client address may make in a minute before it is blocked. */
    AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(30),
    /** How long such an address is refused (429), whatever key it sends. */
    AUTH_FAILURE_BLOCK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
    /** DNS servers (`ip[:port]`, comma-separated) that resolve endpoint hosts instead of the system's resolver. */
    DNS_SERVERS: z.string().optional(),
    ADMIN_TOKEN: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
    ),
  })
  .refine((env) => env.HOOKSTREAM_LOCAL || env.ADMIN_TOKEN !== undefined, {
    path: ['ADMIN_TOKEN'],
    message: 'ADMIN_TOKEN is required outside local mode (HOOKSTREAM_LOCAL=1)',
  });

export interface ProducerConfig {
  readonly isLocal: boolean;
  readonly logLevel: string;
  readonly host: string;
  readonly port: number;
  readonly grpcPort: number;
  readonly fanOutConcurrency: number;
  readonly projectorConcurrency: number;
  readonly sequencerConcurrency: number;
  readonly databaseUrl: string;
  readonly adminToken: string;
  /** Undefined: the system's resolver. */
  readonly dnsServers: readonly string[] | undefined;
  readonly kafka: KafkaSettings;
  readonly masterKey: MasterKey;
  readonly version: string;
  readonly endpointHealth: {
    /** Failing continuously this long disables an endpoint. */
    readonly disableAfterMs: number;
    /** The same, as configured (`"5d"`): the disabled endpoint's reason names it. */
    readonly disableAfter: string;
    readonly sweepIntervalMs: number;
  };
  readonly formatDeprecations: {
    /** Undefined: the catalogue beside the schemas. */
    readonly file: string | undefined;
    readonly sweepIntervalMs: number;
  };
  /** How long an API call waits for Kafka's acknowledgement of what it publishes. */
  readonly publishTimeoutMs: number;
  /** The least time between two of the API's produce requests. */
  readonly publishRequestGapMs: number;
  /** Per tenant and environment, in this process's memory. */
  readonly ingestRateLimit: { readonly perSecond: number; readonly burst: number };
  /** Per client address, in this process's memory. */
  readonly authFailureThrottle: { readonly failuresPerMinute: number; readonly blockSeconds: number };
  readonly testHooks: { readonly crashFanOutBeforeCommit: boolean; readonly crashProjectorBeforeCommit: boolean };
}

export function loadProducerConfig(env: NodeJS.ProcessEnv): ProducerConfig {
  const parsed = parseEnv(schema, env);
  return Object.freeze({
    isLocal: parsed.HOOKSTREAM_LOCAL,
    logLevel: parsed.LOG_LEVEL,
    host: parsed.HOST,
    port: parsed.PORT,
    grpcPort: parsed.GRPC_PORT,
    fanOutConcurrency: parsed.FAN_OUT_CONCURRENCY,
    projectorConcurrency: parsed.PROJECTOR_CONCURRENCY,
    sequencerConcurrency: parsed.SEQUENCER_CONCURRENCY,
    databaseUrl: parsed.DATABASE_URL,
    adminToken: parsed.ADMIN_TOKEN ?? LOCAL_ADMIN_TOKEN,
    dnsServers: fromSetting('DNS_SERVERS', () => parseDnsServers(parsed.DNS_SERVERS)),
    kafka: kafkaSettingsFrom(parsed),
    masterKey: fromSetting('SECRETS_KEY', () =>
      loadMasterKey({
        secretsKey: parsed.SECRETS_KEY,
        secretsKeyFile: parsed.SECRETS_KEY_FILE,
        isLocal: parsed.HOOKSTREAM_LOCAL,
      }),
    ),
    version: hookstreamVersion(),
    endpointHealth: {
      disableAfterMs: parsed.ENDPOINT_DISABLE_AFTER.ms,
      disableAfter: parsed.ENDPOINT_DISABLE_AFTER.text,
      sweepIntervalMs: parsed.ENDPOINT_HEALTH_SWEEP_INTERVAL.ms,
    },
    formatDeprecations: {
      file: parsed.FORMAT_DEPRECATIONS_FILE,
      sweepIntervalMs: parsed.FORMAT_DEPRECATION_SWEEP_INTERVAL.ms,
    },
    publishTimeoutMs: parsed.PUBLISH_TIMEOUT.ms,
    publishRequestGapMs: parsed.PUBLISH_REQUEST_GAP_MS,
    ingestRateLimit: {
      perSecond: parsed.INGEST_RATE_LIMIT_PER_SECOND,
      burst: parsed.INGEST_RATE_LIMIT_BURST ?? 2 * parsed.INGEST_RATE_LIMIT_PER_SECOND,
    },
    authFailureThrottle: {
      failuresPerMinute: parsed.AUTH_FAILURES_PER_MINUTE,
      blockSeconds: parsed.AUTH_FAILURE_BLOCK_SECONDS,
    },
    testHooks: {
      crashFanOutBeforeCommit: parsed.HOOKSTREAM_LOCAL && parsed.HOOKSTREAM_TEST_CRASH_FAN_OUT,
      crashProjectorBeforeCommit: parsed.HOOKSTREAM_LOCAL && parsed.HOOKSTREAM_TEST_CRASH_PROJECTOR,
    },
  });
}
