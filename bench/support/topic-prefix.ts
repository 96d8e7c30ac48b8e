import { topicCatalogue } from '@hookstream/contracts';
import type { Kafka } from '@hookstream/kafka';

/** The consumer groups the producer creates under a topic prefix (it runs the fan-out, projector and sequencer). */
export const PRODUCER_GROUPS: readonly string[] = ['fan-out', 'endpoint-status', 'projector', 'sequencer'];

/**
 * Removes what a run made under its own topic prefix: the topics, the consumer groups (`<prefix>-<group>`; by
 * default the producer's) and the registry subjects (TopicRecordNameStrategy: `<topic>-<record>`), so benchmarks
 * leave the shared stack as it was.
 */
export async function deleteTopicPrefix(
  kafka: Kafka,
  registryUrl: string,
  prefix: string,
  groups: readonly string[] = PRODUCER_GROUPS,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = topicCatalogue(prefix)
      .map((spec) => spec.name)
      .filter((name) => existing.has(name));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    // A group that was never created is not an error worth reporting.
    await admin.deleteGroups(groups.map((group) => `${prefix}-${group}`)).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  for (const subject of await subjectsUnder(registryUrl, `${prefix}.`)) {
    // Soft delete first: the registry refuses a permanent delete of a subject that is not soft-deleted.
    for (const query of ['', '?permanent=true']) {
      await fetch(`${registryUrl}/subjects/${encodeURIComponent(subject)}${query}`, { method: 'DELETE' });
    }
  }
}

async function subjectsUnder(registryUrl: string, prefix: string): Promise<string[]> {
  const subjects = new Set<string>();
  // The registry pages its answer; one that ignores offset repeats itself, which ends the loop.
  for (let offset = 0; ; offset += 1000) {
    const response = await fetch(`${registryUrl}/subjects?offset=${offset}&limit=1000`);
    if (!response.ok) throw new Error(`listing registry subjects answered ${response.status}`);
    const page = (await response.json()) as string[];
    const before = subjects.size;
    for (const subject of page) subjects.add(subject);
    if (page.length < 1000 || subjects.size === before) break;
  }
  return [...subjects].filter((subject) => subject.startsWith(prefix));
}
