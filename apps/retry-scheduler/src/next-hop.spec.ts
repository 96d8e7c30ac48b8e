import type { RetryRequested } from '@hookstream/contracts';
import { nextHop } from './next-hop';

const retry: RetryRequested = {
  deliveryId: 'dlv_1',
  eventId: 'evt_1',
  tenantId: 'ten_1',
  environment: 'live',
  endpointId: 'ep_1',
  eventType: 'payin.succeeded',
  formatVersion: 2,
  attempt: 3,
  event: Buffer.from('event bytes'),
  dueAt: 1_000_000,
  remainingTiers: ['30s', '5s'],
  isTest: false,
};

describe('nextHop', () => {
  it('moves a retry to the next tier of its chain, due that tier after this one was due', () => {
    const hop = nextHop(retry, 1_000_250);
    expect(hop).toEqual({
      kind: 'tier',
      tier: '30s',
      record: { ...retry, dueAt: 1_030_000, remainingTiers: ['5s'] },
    });
  });

  it('dispatches a retry whose chain is spent, as the attempt it was scheduled as', () => {
    const hop = nextHop({ ...retry, remainingTiers: [] }, 1_000_250);
    expect(hop).toEqual({
      kind: 'dispatch',
      record: {
        deliveryId: 'dlv_1',
        eventId: 'evt_1',
        tenantId: 'ten_1',
        environment: 'live',
        endpointId: 'ep_1',
        eventType: 'payin.succeeded',
        formatVersion: 2,
        attempt: 3,
        event: Buffer.from('event bytes'),
        requestedAt: 1_000_250,
        isTest: false,
        orderingKey: null,
        sequence: null,
      },
    });
  });

  it("keeps an ordered delivery's key and sequence through every hop", () => {
    const ordered = { ...retry, orderingKey: 'txn_1', sequence: 4 };
    expect(nextHop(ordered, 1_000_250).record).toMatchObject({ orderingKey: 'txn_1', sequence: 4 });
    expect(nextHop({ ...ordered, remainingTiers: [] }, 1_000_250).record).toMatchObject({
      orderingKey: 'txn_1',
      sequence: 4,
    });
  });

  it('keeps a test delivery marked as a test through every hop', () => {
    const test = { ...retry, isTest: true };
    expect(nextHop(test, 1_000_250).record.isTest).toBe(true);
    expect(nextHop({ ...test, remainingTiers: [] }, 1_000_250).record.isTest).toBe(true);
  });

  it('refuses a chain naming a tier that does not exist', () => {
    expect(() => nextHop({ ...retry, remainingTiers: ['7m'] }, 0)).toThrow('unknown retry tier "7m"');
  });
});
