import pino from 'pino';
import { ConsumerLagSampler, type OffsetsAdmin } from './consumer-lag';

type Offsets = Awaited<ReturnType<OffsetsAdmin['fetchTopicOffsets']>>;
type Committed = Awaited<ReturnType<OffsetsAdmin['fetchOffsets']>>;

/** An admin answering fixed offsets, counting its calls; `fail` makes it reject. */
function fakeAdmin(ends: Record<string, Offsets>, committed: Committed) {
  const state = { calls: 0, fail: false };
  const admin: OffsetsAdmin = {
    fetchTopicOffsets: async (topic) => {
      if (state.fail) throw new Error('broker unreachable');
      return ends[topic] ?? [];
    },
    fetchOffsets: async () => {
      state.calls++;
      if (state.fail) throw new Error('broker unreachable');
      return committed;
    },
  };
  return { admin, state };
}

const partition = (n: number, low: number, high: number) => ({
  partition: n,
  offset: String(high),
  low: String(low),
  high: String(high),
});
const group = { groupId: 'g', topics: ['t.a', 't.b'] };
const silent = pino({ level: 'silent' });

describe('ConsumerLagSampler', () => {
  const ends = { 't.a': [partition(0, 0, 10), partition(1, 5, 8)], 't.b': [partition(0, 0, 4)] };
  const committed = [
    { topic: 't.a', partitions: [{ partition: 0, offset: '7', metadata: null }] },
    { topic: 't.b', partitions: [{ partition: 0, offset: '4', metadata: null }] },
  ];

  it('sums over partitions; a partition never committed counts everything retained', async () => {
    const { admin } = fakeAdmin(ends, committed);
    const lag = await new ConsumerLagSampler(admin, silent).lag(group);
    expect(Object.fromEntries(lag)).toEqual({ 't.a': 3 + 3, 't.b': 0 });
  });

  it('asks Kafka again only once the sample is older than the cache', async () => {
    let now = 0;
    const { admin, state } = fakeAdmin(ends, committed);
    const sampler = new ConsumerLagSampler(admin, silent, 5000, () => now);
    await sampler.lag(group);
    now = 4999;
    await sampler.lag(group);
    expect(state.calls).toBe(1);
    now = 5000;
    await sampler.lag(group);
    expect(state.calls).toBe(2);
  });

  it('keeps the last sample when Kafka does not answer, and never rejects', async () => {
    let now = 0;
    const { admin, state } = fakeAdmin(ends, committed);
    const sampler = new ConsumerLagSampler(admin, silent, 5000, () => now);
    const first = await sampler.lag(group);
    state.fail = true;
    now = 10_000;
    await expect(sampler.lag(group)).resolves.toEqual(first);
    await expect(new ConsumerLagSampler(admin, silent).lag(group)).resolves.toEqual(new Map());
  });
});
