import { deliveryIdFor } from '@hookstream/delivery';
import { firstDeliveryRecords } from './first-delivery-records';

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
      dispatch: { ...ref, attempt: 1, event: eventBytes, requestedAt: 1000 },
    });
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
