import { DEFAULT_RETRY_SCHEDULE, type CircuitOptions, parseDnsServers, parseSchedule } from '@hookstream/delivery';
import { kafkaSettingsFrom, kafkaSettingsSchema, type KafkaSettings } from '@hookstream/kafka';
import { loadMasterKey, type MasterKey } from '@hookstream/secrets';
import { envPort, fromSetting, hookstreamVersion, parseEnv, runtimeSettingsSchema } from '@hookstream/settings';
import { isIP } from 'node:net';
import { z } from 'zod';

const positiveInt = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);

const schema = runtimeSettingsSchema.extend(kafkaSettingsSchema.shape).extend({
  DISPATCHER_PORT: envPort(3001),
  /** The deployment's retry schedule: delays before each retry, comma-separated. */
  RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE.join(','))
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    )
    .refine((entries) => {
      try {
        parseSchedule(entries);
        return entries.length <= 20;
      } catch {
        return false;
      }
    }, 'must be up to 20 comma-separated durations of at least 1s, such as 5s,5m,30m'),
  RETRY_JITTER: z.coerce.number().min(0).max(0.5).default(0.2),
  /** Attempts in flight (or parked) across all endpoints. */
  DISPATCH_MAX_IN_FLIGHT: positiveInt(2000, 100_000),
  /**
   * Deliveries held while their endpoint's circuit is open. Their offsets stay uncommitted, so a
   * restart redelivers from the oldest parked one (same webhook-ids).
   */
  DISPATCH_MAX_PARKED: positiveInt(50_000, 1_000_000),
  /** (delivery, attempt) pairs remembered to send each attempt once: ~100 bytes each. */
  DISPATCH_RECENT_ATTEMPTS: positiveInt(100_000, 10_000_000),
  /** Attempts in flight per endpoint. */
  DISPATCH_ENDPOINT_CONCURRENCY: positiveInt(16, 1000),
  CIRCUIT_FAILURE_THRESHOLD: positiveInt(10, 10_000),
  CIRCUIT_PROBE_INTERVAL_MS: positiveInt(30_000, 3_600_000),
  SHUTDOWN_TIMEOUT_MS: positiveInt(15_000, 300_000),
  /**
   * The least time between two produce requests of attempt records: under load each carries every attempt made
   * since the one before. Off a webhook's way (it has arrived by then); an ordered delivery's successor waits.
   */
  PUBLISH_REQUEST_GAP_MS: z.coerce.number().int().min(0).max(1000).default(5),
  /** Bind outgoing connections to this address, so merchants can allowlist it. */
  DISPATCH_LOCAL_ADDRESS: z
    .string()
    .refine((value) => isIP(value) !== 0, 'must be an IP address')
    .optional(),
  /** DNS servers (`ip[:port]`, comma-separated) that resolve endpoint hosts instead of the system's resolver. */
  DNS_SERVERS: z.string().optional(),
});

export interface DispatcherConfig {
  readonly isLocal: boolean;
  readonly logLevel: string;
  readonly host: string;
  /** Health and metrics only. */
  readonly port: number;
  readonly kafka: KafkaSettings;
  readonly masterKey: MasterKey;
  readonly userAgent: string;
  readonly retrySchedule: readonly string[];
  readonly retryJitter: number;
  readonly maxInFlight: number;
  readonly maxParked: number;
  readonly recentAttempts: number;
  readonly endpointConcurrency: number;
  readonly circuit: CircuitOptions;
  readonly shutdownTimeoutMs: number;
  readonly publishRequestGapMs: number;
  readonly localAddress?: string;
  /** Undefined: the system's resolver. */
  readonly dnsServers: readonly string[] | undefined;
}

export function loadDispatcherConfig(env: NodeJS.ProcessEnv): DispatcherConfig {
  const parsed = parseEnv(schema, env);
  const masterKey = fromSetting('SECRETS_KEY', () =>
    loadMasterKey({
      secretsKey: parsed.SECRETS_KEY,
      secretsKeyFile: parsed.SECRETS_KEY_FILE,
      isLocal: parsed.HOOKSTREAM_LOCAL,
    }),
  );
  return Object.freeze({
    isLocal: parsed.HOOKSTREAM_LOCAL,
    logLevel: parsed.LOG_LEVEL,
    host: parsed.HOST,
    port: parsed.DISPATCHER_PORT,
    kafka: kafkaSettingsFrom(parsed),
    masterKey,
    userAgent: `hookstream/${hookstreamVersion()}`,
    retrySchedule: parsed.RETRY_SCHEDULE,
    retryJitter: parsed.RETRY_JITTER,
    maxInFlight: parsed.DISPATCH_MAX_IN_FLIGHT,
    maxParked: parsed.DISPATCH_MAX_PARKED,
    recentAttempts: parsed.DISPATCH_RECENT_ATTEMPTS,
    endpointConcurrency: parsed.DISPATCH_ENDPOINT_CONCURRENCY,
    circuit: { failureThreshold: parsed.CIRCUIT_FAILURE_THRESHOLD, probeIntervalMs: parsed.CIRCUIT_PROBE_INTERVAL_MS },
    shutdownTimeoutMs: parsed.SHUTDOWN_TIMEOUT_MS,
    publishRequestGapMs: parsed.PUBLISH_REQUEST_GAP_MS,
    localAddress: parsed.DISPATCH_LOCAL_ADDRESS,
    dnsServers: fromSetting('DNS_SERVERS', () => parseDnsServers(parsed.DNS_SERVERS)),
  });
}
