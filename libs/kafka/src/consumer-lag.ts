import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

/** A consumer group and the topics it reads. */
export interface ConsumerGroupTopics {
  readonly groupId: string;
  readonly topics: readonly string[];
}

/** The part of the admin client lag needs. */
export type OffsetsAdmin = Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'>;

interface Sample {
  readonly at: number;
  readonly lag: ReadonlyMap<string, number>;
}

/** End offset (high watermark) and earliest retained offset of each partition of a topic. */
export async function topicEndOffsets(
  admin: OffsetsAdmin,
  topic: string,
): Promise<{ partition: number; high: number; low: number }[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.map((entry) => ({ partition: entry.partition, high: Number(entry.high), low: Number(entry.low) }));
}

/**
 * Records each group has yet to commit, per topic (summed over partitions), asked of the admin client
 * and kept for `cacheMs` so that scrapes stay cheap. A partition the group never committed counts
 * everything still retained.
 */
export class ConsumerLagSampler {
  private readonly samples = new Map<string, Sample>();
  private readonly pending = new Map<string, Promise<ReadonlyMap<string, number>>>();

  constructor(
    private readonly admin: OffsetsAdmin,
    private readonly logger: Logger,
    private readonly cacheMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The group's lag per topic; the last good sample (or nothing) when Kafka does not answer. */
  async lag(group: ConsumerGroupTopics): Promise<ReadonlyMap<string, number>> {
    const cached = this.samples.get(group.groupId);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.lag;
    let pending = this.pending.get(group.groupId);
    if (!pending) {
      pending = this.fetch(group)
        .then((lag) => {
          this.samples.set(group.groupId, { at: this.now(), lag });
          return lag;
        })
        .catch((error: unknown) => {
          this.logger.debug({ err: error, groupId: group.groupId }, 'consumer lag not sampled; keeping the last value');
          return cached?.lag ?? new Map<string, number>();
        })
        .finally(() => this.pending.delete(group.groupId));
      this.pending.set(group.groupId, pending);
    }
    return pending;
  }

  private async fetch(group: ConsumerGroupTopics): Promise<ReadonlyMap<string, number>> {
    const committed = await this.admin.fetchOffsets({ groupId: group.groupId, topics: [...group.topics] });
    const lag = new Map<string, number>();
    for (const topic of group.topics) {
      const ends = await topicEndOffsets(this.admin, topic);
      const positions = new Map(
        (committed.find((entry) => entry.topic === topic)?.partitions ?? []).map((entry) => [
          entry.partition,
          Number(entry.offset),
        ]),
      );
      let total = 0;
      for (const { partition, high, low } of ends) {
        const position = positions.get(partition) ?? -1;
        total += Math.max(0, high - (position >= 0 ? position : low));
      }
      lag.set(topic, total);
    }
    return lag;
  }
}

/** `hookstream_consumer_lag{group,topic}`: records not yet committed by each of this app's consumer groups. */
export function registerConsumerLag(options: {
  readonly sampler: ConsumerLagSampler;
  readonly groups: readonly ConsumerGroupTopics[];
  readonly registers: Registry[];
}): Gauge<'group' | 'topic'> {
  return new Gauge({
    name: 'hookstream_consumer_lag',
    help: 'Records not yet committed by a consumer group, per topic (summed over partitions)',
    labelNames: ['group', 'topic'],
    registers: options.registers,
    async collect() {
      for (const group of options.groups) {
        for (const [topic, lag] of await options.sampler.lag(group)) this.set({ group: group.groupId, topic }, lag);
      }
    },
  });
}
