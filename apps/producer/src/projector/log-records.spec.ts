import type { DeliveryExhausted } from '@hookstream/contracts';
import { toDeliveryEvent } from './log-records';

const exhaustedRecord = (reason: string | null): DeliveryExhausted => ({
  deliveryId: 'dlv_1',
  eventId: 'evt_1',
  tenantId: 'ten_1',
  environment: 'live',
  endpointId: 'ep_1',
  eventType: 'payin.succeeded',
  attempts: 0,
  exhaustedAt: 1_000,
  reason,
});

describe('toDeliveryEvent', () => {
  it('keeps why a delivery was exhausted', () => {
    expect(toDeliveryEvent('delivery-exhausted', exhaustedRecord('endpoint_disabled'))).toMatchObject({
      type: 'DeliveryExhausted',
      attempts: 0,
      reason: 'endpoint_disabled',
    });
  });

  it('reads an exhaustion written before the reason was recorded as a spent retry schedule', () => {
    expect(toDeliveryEvent('delivery-exhausted', exhaustedRecord(null))).toMatchObject({
      type: 'DeliveryExhausted',
      reason: 'retries_exhausted',
    });
  });
});
