import type { KafkaMessage } from 'kafkajs';
import { PartitionBacklog } from './partition-backlog';

const message = (offset: number): KafkaMessage =>
  ({
    offset: String(offset),
    key: null,
    value: Buffer.from(String(offset)),
    timestamp: '0',
    attributes: 0,
  }) as KafkaMessage;
const messages = (from: number, to: number): KafkaMessage[] =>
  Array.from({ length: to - from + 1 }, (_, index) => message(from + index));

/** A backlog whose slices are recorded, each finishing when `release` is called. */
function recordingBacklog(sliceSize: number) {
  const slices: { offsets: string[]; nextOffset: bigint; takenAt: number }[] = [];
  const releases: ((error?: Error) => void)[] = [];
  const failures: unknown[] = [];
  const backlog = new PartitionBacklog({
    sliceSize,
    work: (slice, nextOffset, takenAt) => {
      slices.push({ offsets: slice.map((m) => m.offset), nextOffset, takenAt });
      return new Promise<void>((resolve, reject) => releases.push((error) => (error ? reject(error) : resolve())));
    },
    onFailure: (error) => failures.push(error),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const release = async (error?: Error) => {
    releases.shift()?.(error);
    await settle();
  };
  return { backlog, slices, failures, release, settle };
}

describe('PartitionBacklog', () => {
  it('works a partition off in offset order, one slice at a time, each committing the offset after it', async () => {
    const { backlog, slices, release, settle } = recordingBacklog(3);
    backlog.add(messages(0, 4), 4n, Date.now());
    await settle();
    // One slice in work at a time: the second waits for the first.
    expect(slices).toMatchObject([{ offsets: ['0', '1', '2'], nextOffset: 3n }]);
    expect(slices).toHaveLength(1);
    backlog.add(messages(5, 6), 6n, Date.now());
    await release();
    expect(slices[1]).toMatchObject({ offsets: ['3', '4', '5'], nextOffset: 6n });
    await release();
    expect(slices[2]).toMatchObject({ offsets: ['6'], nextOffset: 7n });
    await release();
    expect(backlog.size).toBe(0);
    expect(slices).toHaveLength(3);
  });

  it('commits past a trailing transaction marker once its slice is the last', async () => {
    const { backlog, slices, release, settle } = recordingBacklog(10);
    // Offset 3 is a commit marker: the batch ends past its last message.
    backlog.add(messages(0, 2), 3n, Date.now());
    await settle();
    expect(slices[0]).toMatchObject({ offsets: ['0', '1', '2'], nextOffset: 4n });
    await release();
  });

  it('gives a slice the time its newest message was taken from the fetch', async () => {
    const { backlog, slices, release, settle } = recordingBacklog(10);
    backlog.add(messages(0, 1), 1n, 1000);
    await settle();
    // Two batches come while the first slice is in work; the next slice holds both.
    backlog.add(messages(2, 3), 3n, 2000);
    backlog.add(messages(4, 4), 4n, 3000);
    await release();
    expect(slices.map(({ offsets, takenAt }) => ({ offsets, takenAt }))).toEqual([
      { offsets: ['0', '1'], takenAt: 1000 },
      { offsets: ['2', '3', '4'], takenAt: 3000 },
    ]);
    await release();
  });

  it('takes a message fetched again (after a rebalance or restart) once', async () => {
    const { backlog, slices, release, settle } = recordingBacklog(10);
    backlog.add(messages(0, 3), 3n, Date.now());
    await settle();
    // The fetch restarts from the committed offset, 0, while the first slice is still in work.
    backlog.add(messages(0, 5), 5n, Date.now());
    await release();
    expect(slices[1]).toMatchObject({ offsets: ['4', '5'], nextOffset: 6n });
    await release();
  });

  it('tries a failed slice again, the same messages, before anything after it', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
    try {
      const { backlog, slices, failures, release, settle } = recordingBacklog(2);
      backlog.add(messages(0, 3), 3n, Date.now());
      await settle();
      await release(new Error('fenced'));
      expect(failures).toHaveLength(1);
      await jest.advanceTimersByTimeAsync(100);
      expect(slices.map((slice) => slice.offsets)).toEqual([
        ['0', '1'],
        ['0', '1'],
      ]);
      await release();
      expect(slices[2]).toMatchObject({ offsets: ['2', '3'], nextOffset: 4n });
      await release();
      expect(backlog.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('drops what is queued when abandoned, after the slice in work is done', async () => {
    const { backlog, slices, release, settle } = recordingBacklog(2);
    backlog.add(messages(0, 5), 5n, Date.now());
    await settle();
    let isAbandoned = false;
    const abandoned = backlog.abandon().then(() => (isAbandoned = true));
    await settle();
    expect(isAbandoned).toBe(false);
    await release();
    await abandoned;
    expect(slices).toHaveLength(1);
    expect(backlog.size).toBe(0);
    backlog.add(messages(6, 7), 7n, Date.now());
    await settle();
    expect(slices).toHaveLength(1);
  });

  it('wakes a waiting fetch when a slice is worked off', async () => {
    const { backlog, release, settle } = recordingBacklog(2);
    backlog.add(messages(0, 3), 3n, Date.now());
    await settle();
    let hasShrunk = false;
    const shrunk = backlog.shrunk(60_000).then(() => (hasShrunk = true));
    await settle();
    expect(hasShrunk).toBe(false);
    await release();
    await shrunk;
    expect(backlog.size).toBe(2);
    await release();
  });
});
