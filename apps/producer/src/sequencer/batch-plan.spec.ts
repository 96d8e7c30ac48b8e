import type { DispatchRequested, OrderedDeliveryFinished } from '@hookstream/contracts';
import { keyId, type OrderingRecord, planBatch } from './batch-plan';

const ref = (deliveryId: string, orderingKey: string | null = 'txn_1') => ({
  deliveryId,
  eventId: `evt_${deliveryId}`,
  tenantId: 'ten_1',
  environment: 'live' as const,
  endpointId: 'ep_1',
  eventType: 'payin.succeeded',
  orderingKey,
});
const accepted = (deliveryId: string, orderingKey?: string | null): OrderingRecord => ({
  kind: 'accepted',
  dispatch: {
    ...ref(deliveryId, orderingKey),
    formatVersion: 1,
    attempt: 1,
    event: Buffer.from(deliveryId),
    requestedAt: 1,
    isTest: false,
    sequence: null,
  } satisfies DispatchRequested,
});
const finished = (
  deliveryId: string,
  sequence: number,
  outcome: OrderedDeliveryFinished['outcome'] = 'succeeded',
): OrderingRecord => ({
  kind: 'finished',
  finished: { ...ref(deliveryId), orderingKey: 'txn_1', sequence, outcome, finishedAt: 1 },
});
const sent = (plan: ReturnType<typeof planBatch>) => plan.send.map((d) => [d.deliveryId, d.sequence]);

describe('planBatch', () => {
  it('numbers a new key, sends its head and parks the rest', () => {
    const plan = planBatch([accepted('a'), accepted('b'), accepted('c')], new Map(), new Set(), 5);
    expect(sent(plan)).toEqual([['a', 1]]);
    expect([...plan.waiting.values()].map((d) => [d.deliveryId, d.sequence])).toEqual([
      ['b', 2],
      ['c', 3],
    ]);
    expect(plan.keys.get(keyId('ep_1', 'txn_1'))).toEqual({ lastSequence: 3, finishedThrough: 0 });
    expect(plan.numbered.map((n) => n.sequence)).toEqual([1, 2, 3]);
  });

  it('sends a delivery parked in the same batch once the head ends, and says so when the head failed', () => {
    const plan = planBatch([accepted('a'), accepted('b'), finished('a', 1, 'exhausted')], new Map(), new Set(), 5);
    expect(sent(plan)).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(plan.waiting.size).toBe(0);
    expect(plan.release).toEqual([]);
    expect(plan.skipped).toEqual([expect.objectContaining({ deliveryId: 'a', sequence: 1, reason: 'exhausted' })]);
  });

  it('lets go of a delivery parked by an earlier batch, and numbers on from the stored state', () => {
    const stored = new Map([[keyId('ep_1', 'txn_1'), { lastSequence: 4, finishedThrough: 2 }]]);
    const plan = planBatch([finished('c', 3), accepted('e')], stored, new Set(), 5);
    expect(plan.release).toEqual([{ endpointId: 'ep_1', orderingKey: 'txn_1', sequence: 4 }]);
    expect(plan.skipped).toEqual([]);
    expect([...plan.waiting.values()].map((d) => d.sequence)).toEqual([5]);
    expect(plan.keys.get(keyId('ep_1', 'txn_1'))).toEqual({ lastSequence: 5, finishedThrough: 3 });
  });

  it('neither numbers again a delivery numbered before nor moves on for an end heard twice', () => {
    const stored = new Map([[keyId('ep_1', 'txn_1'), { lastSequence: 2, finishedThrough: 1 }]]);
    const plan = planBatch([accepted('b'), finished('a', 1)], stored, new Set(['b']), 5);
    expect(plan.send).toEqual([]);
    expect(plan.numbered).toEqual([]);
    expect(plan.release).toEqual([]);
    expect(plan.keys.size).toBe(0);
  });

  it('sends a dispatch request without an ordering key at once, unnumbered', () => {
    const plan = planBatch([accepted('x', null)], new Map(), new Set(), 5);
    expect(sent(plan)).toEqual([['x', null]]);
    expect(plan.numbered).toEqual([]);
  });
});
