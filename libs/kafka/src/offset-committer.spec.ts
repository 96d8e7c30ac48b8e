import type { Consumer } from 'kafkajs';
import pino from 'pino';
import { OffsetCommitter, PeriodicCommits } from './offset-committer';

function committerWithRecordedCommits() {
  const commits: { partition: number; offset: string }[][] = [];
  let isFailing = false;
  const consumer = {
    commitOffsets: async (offsets: { topic: string; partition: number; offset: string }[]) => {
      if (isFailing) throw new Error('coordinator moved');
      commits.push(offsets.map(({ partition, offset }) => ({ partition, offset })));
    },
  } as unknown as Consumer;
  const committer = new OffsetCommitter(consumer, 'events', pino({ enabled: false }));
  return { committer, commits, failNext: (fails: boolean) => (isFailing = fails) };
}

describe('OffsetCommitter', () => {
  it('commits only the partitions whose offset moved since the last commit that went through', async () => {
    const { committer, commits } = committerWithRecordedCommits();
    await committer.commit([
      [0, 10n],
      [1, undefined],
    ]);
    await committer.commit([
      [0, 10n],
      [1, 5n],
    ]);
    await committer.commit([
      [0, 10n],
      [1, 5n],
    ]);
    expect(commits).toEqual([[{ partition: 0, offset: '10' }], [{ partition: 1, offset: '5' }]]);
  });

  it('tries a failed commit again with the next call, and forgets a partition taken away', async () => {
    const { committer, commits, failNext } = committerWithRecordedCommits();
    failNext(true);
    await committer.commit([[0, 10n]]);
    failNext(false);
    await committer.commit([[0, 10n]]);
    expect(commits).toEqual([[{ partition: 0, offset: '10' }]]);
    // Taken away and given back: its new owner may have committed elsewhere since, so it is committed again.
    committer.forget(0);
    await committer.commit([[0, 10n]]);
    expect(commits).toHaveLength(2);
  });
});

describe('PeriodicCommits', () => {
  it('commits what was handled on stop, except the partitions a rebalance took away', async () => {
    const commits: { topic: string; partition: number; offset: string }[][] = [];
    let onJoin: (event: { payload: { memberAssignment: Record<string, number[]> } }) => void = () => undefined;
    const consumer = {
      events: { GROUP_JOIN: 'consumer.group_join' },
      on: (_event: string, listener: typeof onJoin) => (onJoin = listener),
      commitOffsets: async (offsets: { topic: string; partition: number; offset: string }[]) => {
        commits.push(offsets);
      },
    } as unknown as Consumer;
    const periodic = new PeriodicCommits(consumer, ['events', 'log'], pino({ enabled: false }), 60_000);
    periodic.handled('events', 0, 10n);
    periodic.handled('events', 1, 4n);
    periodic.handled('log', 2, 7n);
    onJoin({ payload: { memberAssignment: { events: [0], log: [2] } } });
    await periodic.stop();
    expect(commits).toEqual([
      [{ topic: 'events', partition: 0, offset: '10' }],
      [{ topic: 'log', partition: 2, offset: '7' }],
    ]);
  });
});
