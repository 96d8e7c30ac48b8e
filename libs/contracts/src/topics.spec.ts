import { RETRY_TIERS, topicCatalogue, topicNames } from './topics';

const DAY_MS = 86_400_000;
const byName = (prefix = 'hookstream') => new Map(topicCatalogue(prefix).map((spec) => [spec.name, spec]));

describe('topic catalogue', () => {
  it("names every topic of API.md under the hookstream prefix, and the sequencer's", () => {
    expect([...byName().keys()].sort()).toEqual(
      [
        'hookstream.events',
        'hookstream.endpoints',
        'hookstream.dispatch',
        'hookstream.delivery-events',
        'hookstream.quarantine',
        'hookstream.ordering',
        ...RETRY_TIERS.map((tier) => `hookstream.retry.${tier}`),
      ].sort(),
    );
  });

  it('keeps events 30 days, the delivery log forever, and endpoints compacted', () => {
    const topics = byName();
    expect(topics.get('hookstream.events')?.config['retention.ms']).toBe(String(30 * DAY_MS));
    expect(topics.get('hookstream.delivery-events')?.config).toMatchObject({
      'retention.ms': '-1',
      'retention.bytes': '-1',
    });
    expect(topics.get('hookstream.endpoints')?.config['cleanup.policy']).toBe('compact');
    expect(topics.get('hookstream.dispatch')?.partitions).toBe(12);
  });

  it('puts a test prefix on every name, so tests stay apart', () => {
    const names = [...byName('it-abc').keys()];
    expect(names.every((name) => name.startsWith('it-abc.'))).toBe(true);
    expect(topicNames('it-abc').retry('5s')).toBe('it-abc.retry.5s');
  });

  it('orders retry tiers from the shortest delay to the longest', () => {
    const ms = (tier: string) => {
      const match = /^(\d+)([smh])$/.exec(tier);
      if (!match) throw new Error(`bad tier ${tier}`);
      return Number(match[1]) * { s: 1e3, m: 6e4, h: 3.6e6 }[match[2] as 's' | 'm' | 'h'];
    };
    const delays = RETRY_TIERS.map(ms);
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
    expect(new Set(delays).size).toBe(delays.length);
  });
});
