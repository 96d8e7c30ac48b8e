import type { TopicSpec } from '@hookstream/contracts';
import type { Admin } from 'kafkajs';
import { ensureTopics } from './topic-admin';

const specs: TopicSpec[] = [
  { name: 'events', partitions: 3, config: {} },
  { name: 'dispatch', partitions: 3, config: {} },
] as TopicSpec[];
const unknownTopic = Object.assign(new Error('This server does not host this topic-partition'), {
  type: 'UNKNOWN_TOPIC_OR_PARTITION',
});
const metadataOf = (partitions: number) => ({
  topics: specs.map((spec) => ({ name: spec.name, partitions: Array.from({ length: partitions }, () => ({})) })),
});

/** An admin whose calls answer in turn from the lists given (an Error is thrown). */
function scriptedAdmin(script: { existing: string[]; create: unknown[]; metadata: unknown[] }) {
  const calls = { create: 0, metadata: 0 };
  const next = async (answers: unknown[], count: number) => {
    const answer = answers[Math.min(count, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const admin = {
    listTopics: async () => script.existing,
    createTopics: () => next(script.create, calls.create++),
    fetchTopicMetadata: () => next(script.metadata, calls.metadata++),
  } as unknown as Admin;
  return { admin, calls };
}

describe('ensureTopics', () => {
  it('waits while topics just created are unknown to the broker, then goes on', async () => {
    const { admin, calls } = scriptedAdmin({
      existing: [],
      // The second try finds the topics created by the first: kafkajs answers false.
      create: [unknownTopic, false],
      metadata: [unknownTopic, metadataOf(3)],
    });
    await expect(ensureTopics(admin, specs)).resolves.toEqual({ created: ['events', 'dispatch'], existing: [] });
    expect(calls).toEqual({ create: 2, metadata: 2 });
  });

  it('fails at once on any other error', async () => {
    const { admin, calls } = scriptedAdmin({ existing: [], create: [new Error('not authorised')], metadata: [] });
    await expect(ensureTopics(admin, specs)).rejects.toThrow('not authorised');
    expect(calls.create).toBe(1);
  });

  it('refuses an existing topic whose partitions differ from the catalogue', async () => {
    const { admin } = scriptedAdmin({ existing: ['events', 'dispatch'], create: [], metadata: [metadataOf(2)] });
    await expect(ensureTopics(admin, specs)).rejects.toThrow('topic events has 2 partitions, the catalogue says 3');
  });
});
