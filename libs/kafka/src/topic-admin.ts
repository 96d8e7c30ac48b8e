import type { TopicSpec } from '@hookstream/contracts';
import type { Admin } from 'kafkajs';

export interface TopicsReport {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/**
 * Creates every topic of the catalogue that is missing, with its partitions and configs. Existing
 * topics keep theirs: a partition count that differs is refused, because it would move keys.
 */
export async function ensureTopics(admin: Admin, specs: readonly TopicSpec[]): Promise<TopicsReport> {
  const existingNames = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existingNames.has(spec.name));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((spec) => ({
        topic: spec.name,
        numPartitions: spec.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
      })),
    });
  }
  const present = specs.filter((spec) => existingNames.has(spec.name));
  if (present.length > 0) {
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((spec) => spec.name) });
    for (const topic of metadata.topics) {
      const expected = present.find((spec) => spec.name === topic.name)?.partitions;
      if (expected !== undefined && topic.partitions.length !== expected) {
        throw new Error(
          `topic ${topic.name} has ${topic.partitions.length} partitions, the catalogue says ${expected}; ` +
            'changing it would reorder keys, so fix the catalogue or migrate the topic deliberately',
        );
      }
    }
  }
  return { created: missing.map((spec) => spec.name), existing: present.map((spec) => spec.name) };
}
