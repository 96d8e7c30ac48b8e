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
    // Tried again, a topic created by the first try is answered TOPIC_ALREADY_EXISTS, which kafkajs accepts.
    await untilTopicsAreKnown(() =>
      admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.name,
          numPartitions: spec.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(spec.config).map(([name, value]) => ({ name, value })),
        })),
      }),
    );
  }
  // Every topic, the ones just created too: known to the broker before the app goes on.
  const metadata = await untilTopicsAreKnown(() =>
    admin.fetchTopicMetadata({ topics: specs.map((spec) => spec.name) }),
  );
  for (const topic of metadata.topics) {
    const expected = specs.find((spec) => spec.name === topic.name)?.partitions;
    if (expected !== undefined && topic.partitions.length !== expected) {
      throw new Error(
        `topic ${topic.name} has ${topic.partitions.length} partitions, the catalogue says ${expected}; ` +
          'changing it would reorder keys, so fix the catalogue or migrate the topic deliberately',
      );
    }
  }
  const present = specs.filter((spec) => existingNames.has(spec.name));
  return { created: missing.map((spec) => spec.name), existing: present.map((spec) => spec.name) };
}

/** How long a topic just created may be unknown to the broker's metadata: tries, and the pause between them. */
const UNKNOWN_TOPIC_TRIES = 50;
const UNKNOWN_TOPIC_PAUSE_MS = 200;

/**
 * A topic just created (by this app, or by another starting beside it) can be missing from the broker's
 * metadata for a moment, and kafkajs gives up at once on UNKNOWN_TOPIC_OR_PARTITION while it waits for the
 * topic's leaders: an app would fail to start. Tried again for up to 10 s.
 */
async function untilTopicsAreKnown<T>(request: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if ((error as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION' || attempt >= UNKNOWN_TOPIC_TRIES)
        throw error;
      await new Promise((resolve) => setTimeout(resolve, UNKNOWN_TOPIC_PAUSE_MS));
    }
  }
}
