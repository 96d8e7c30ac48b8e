import { RETRY_TIERS, type RetryTier } from '@hookstream/delivery';

/**
 * The topic catalogue (see API.md, "Kafka topics"). Names, partitions, retention and compaction
 * live here; libs/kafka creates them at start-up, since the broker never auto-creates.
 */

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Broker-side topic configs (retention.ms, cleanup.policy, …). */
  readonly config: Readonly<Record<string, string>>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export { RETRY_TIERS, type RetryTier };

export interface TopicNames {
  readonly events: string;
  readonly endpoints: string;
  readonly dispatch: string;
  readonly deliveryEvents: string;
  readonly quarantine: string;
  /** Ordered deliveries waiting to be numbered, and ordered deliveries' ends: the sequencer's input. */
  readonly ordering: string;
  retry(tier: RetryTier): string;
}

/** Topic names under a prefix: `hookstream` in every deployment; tests pass their own to stay apart. */
export function topicNames(prefix = 'hookstream'): TopicNames {
  return {
    events: `${prefix}.events`,
    endpoints: `${prefix}.endpoints`,
    dispatch: `${prefix}.dispatch`,
    deliveryEvents: `${prefix}.delivery-events`,
    quarantine: `${prefix}.quarantine`,
    ordering: `${prefix}.ordering`,
    retry: (tier) => `${prefix}.retry.${tier}`,
  };
}

export function topicCatalogue(prefix = 'hookstream', partitions = 12): readonly TopicSpec[] {
  const names = topicNames(prefix);
  return [
    { name: names.events, partitions, config: { 'retention.ms': String(30 * DAY_MS) } },
    // One record per endpoint id: the latest configuration wins, and a tombstone removes it.
    {
      name: names.endpoints,
      partitions,
      config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0', 'segment.ms': String(DAY_MS) },
    },
    { name: names.dispatch, partitions, config: { 'retention.ms': String(7 * DAY_MS) } },
    // The truth: never deleted.
    { name: names.deliveryEvents, partitions, config: { 'retention.ms': '-1', 'retention.bytes': '-1' } },
    ...RETRY_TIERS.map((tier) => ({
      name: names.retry(tier),
      partitions,
      config: { 'retention.ms': String(7 * DAY_MS) },
    })),
    // Keyed by endpoint and ordering key: one key's records stay in order on one partition.
    { name: names.ordering, partitions, config: { 'retention.ms': String(7 * DAY_MS) } },
    { name: names.quarantine, partitions: 1, config: { 'retention.ms': String(90 * DAY_MS) } },
  ];
}

/** The key of an ordering-topic record: one endpoint's one ordering key stays on one partition, in order. */
export function orderingRecordKey(endpointId: string, orderingKey: string): string {
  return `${endpointId}/${orderingKey}`;
}
