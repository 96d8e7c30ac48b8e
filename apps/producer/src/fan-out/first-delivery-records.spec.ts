import { deliveryIdFor } from '@hookstream/delivery';
import { topicNames } from '@hookstream/contracts';
import { dispatchDestination, firstDeliveryRecords } from './first-delivery-records';

describe('firstDeliveryRecords', () => {
  const envelope = {
    eventId: 'evt_1',
    tenantId: 'ten_1',
    environment: 'live' as const,
    type: 'payin.succeeded',
    data: { transactionId: 'txn_1', amount: 100 },
  };

  it('starts a delivery: scheduled on the log, the first attempt requested with the event as written', () => {
    const eventBytes = Buffer.from('framed event');
    const records = firstDeliveryRecords({
      envelope,
      eventBytes,
      endpoint: { id: 'ep_1', formatVersion: 2 },
      schemaId: 41,
      isTest: true,
      now: 1000,
    });
    const ref = {
      deliveryId: deliveryIdFor('evt_1', 'ep_1'),
      eventId: 'evt_1',
      tenantId: 'ten_1',
      environment: 'live',
      endpointId: 'ep_1',
      eventType: 'payin.succeeded',
      formatVersion: 2,
      isTest: true,
    };
    expect(records).toEqual({
      deliveryId: ref.deliveryId,
      scheduled: { ...ref, schemaId: 41, transactionId: 'txn_1', scheduledAt: 1000 },
      dispatch: { ...ref, attempt: 1, event: eventBytes, requestedAt: 1000, orderingKey: null, sequence: null },
    });
  });

  it("gives a per-key endpoint's delivery its ordering key, to be numbered by the sequencer", () => {
    const live = { envelope, eventBytes: Buffer.from('e'), schemaId: 1, isTest: false, now: 1 };
    const ordered = firstDeliveryRecords({ ...live, endpoint: { id: 'ep_1', formatVersion: 1, ordering: 'per-key' } });
    expect(ordered.dispatch).toMatchObject({ orderingKey: 'txn_1', sequence: null });
    const topics = topicNames('hookstream');
    expect(dispatchDestination(topics, ordered.dispatch)).toEqual({ topic: 'hookstream.ordering', key: 'ep_1/txn_1' });
    const unordered = firstDeliveryRecords({ ...live, endpoint: { id: 'ep_1', formatVersion: 1 } });
    expect(dispatchDestination(topics, unordered.dispatch)).toEqual({ topic: 'hookstream.dispatch', key: 'ep_1' });
    // A test event is never held behind a key's real deliveries.
    const test = firstDeliveryRecords({
      ...live,
      isTest: true,
      endpoint: { id: 'ep_1', formatVersion: 1, ordering: 'per-key' },
    });
    expect(test.dispatch.orderingKey).toBeNull();
  });

  it('leaves the transaction id null when the data has none that is a string', () => {
    const records = firstDeliveryRecords({
      envelope: { ...envelope, data: { transactionId: 42 } },
      eventBytes: Buffer.alloc(0),
      endpoint: { id: 'ep_1', formatVersion: 1 },
      schemaId: null,
      isTest: false,
      now: 0,
    });
    expect(records.scheduled.transactionId).toBeNull();
  });
});
