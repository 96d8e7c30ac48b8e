import { deliveryIdFor, derivedEventId, newId } from './ids';
import { EndpointDirectory, isSubscribed, type EndpointSubscription } from './subscriptions';

const endpoint = (overrides: Partial<EndpointSubscription> = {}): EndpointSubscription => ({
  endpointId: 'ep_1',
  tenantId: 'ten_a',
  environment: 'sandbox',
  eventTypes: ['*'],
  status: 'enabled',
  ...overrides,
});

describe('subscriptions', () => {
  it.each([
    ['* takes an ordinary type', endpoint(), 'payin.succeeded', false, true],
    ['* does not take an opt-in type', endpoint(), 'balance.threshold_reached', true, false],
    [
      'naming an opt-in type takes it',
      endpoint({ eventTypes: ['balance.threshold_reached'] }),
      'balance.threshold_reached',
      true,
      true,
    ],
    ['another type is not taken', endpoint({ eventTypes: ['payout.updated'] }), 'payin.succeeded', false, false],
    ['a disabled endpoint takes nothing', endpoint({ status: 'disabled' }), 'payin.succeeded', false, false],
  ])('%s', (_, subscription, type, isOptIn, expected) => {
    expect(isSubscribed(subscription, type, isOptIn)).toBe(expected);
  });

  it('keeps tenants and environments apart, and follows changes', () => {
    const directory = new EndpointDirectory<EndpointSubscription>();
    directory.upsert(endpoint());
    directory.upsert(endpoint({ endpointId: 'ep_live', environment: 'live' }));
    directory.upsert(endpoint({ endpointId: 'ep_other', tenantId: 'ten_b' }));
    expect(directory.subscribers('ten_a', 'sandbox', 'payin.failed', false).map((e) => e.endpointId)).toEqual(['ep_1']);

    directory.upsert(endpoint({ environment: 'live' }));
    expect(directory.subscribers('ten_a', 'sandbox', 'payin.failed', false)).toEqual([]);
    expect(
      directory
        .subscribers('ten_a', 'live', 'payin.failed', false)
        .map((e) => e.endpointId)
        .sort(),
    ).toEqual(['ep_1', 'ep_live']);

    directory.remove('ep_1');
    directory.remove('ep_unknown');
    expect(directory.size).toBe(2);
  });
});

describe('ids', () => {
  it('derives the same delivery id from the same event and endpoint', () => {
    expect(deliveryIdFor('evt_1', 'ep_1')).toBe(deliveryIdFor('evt_1', 'ep_1'));
    expect(deliveryIdFor('evt_1', 'ep_1')).not.toBe(deliveryIdFor('evt_1', 'ep_2'));
    expect(deliveryIdFor('evt_1', 'ep_1')).toMatch(/^dlv_[0-9a-z]{26}$/);
  });

  it('derives the ids it derived before: records already in the logs and tables keep matching', () => {
    expect(deliveryIdFor('evt_1', 'ep_1')).toBe('dlv_k708vx9m7ytryrkqs4t5fmme4w');
    expect(derivedEventId('ep_1', 'notice')).toBe('evt_ybms5acj01pt21st3cszvqpqjm');
  });

  it('makes prefixed ids that sort by time', () => {
    const first = newId('evt', 1_000);
    const second = newId('evt', 2_000);
    expect(first).toMatch(/^evt_[0-9a-z]{26}$/);
    expect([second, first].sort()).toEqual([first, second]);
  });
});
