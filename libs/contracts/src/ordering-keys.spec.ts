import { EventCatalogue } from './event-catalogue';
import { EventExamples } from './event-examples';
import { orderingKeyOf } from './ordering-keys';
import { loadSchemaFiles } from './schemas';
import { merchantEventTypes } from './system-event-types';

describe('orderingKeyOf', () => {
  it('orders pay-ins and payouts by their transaction', () => {
    expect(orderingKeyOf('payin.succeeded', { transactionId: 'txn_1' })).toBe('txn_1');
    expect(orderingKeyOf('payin.failed', { transactionId: 'txn_2' })).toBe('txn_2');
    expect(orderingKeyOf('payout.updated', { transactionId: 'txn_po_1', utr: 'U1' })).toBe('txn_po_1');
  });

  it('orders a refund with the payment it refunds, or by its own id when it names none', () => {
    expect(orderingKeyOf('refund.updated', { transactionId: 'txn_rf', originalTransactionId: 'txn_1' })).toBe('txn_1');
    expect(orderingKeyOf('refund.updated', { transactionId: 'txn_rf', originalTransactionId: null })).toBe('txn_rf');
  });

  it('orders balance events by account, and a failed API request by its payment or else itself', () => {
    expect(orderingKeyOf('balance.threshold_reached', { accountId: 'acc_1' })).toBe('acc_1');
    expect(orderingKeyOf('balance.anything_new', { accountId: 'acc_2' })).toBe('acc_2');
    expect(orderingKeyOf('api.request_failed', { requestId: 'req_1', transactionId: 'txn_9' })).toBe('txn_9');
    expect(orderingKeyOf('api.request_failed', { requestId: 'req_1', transactionId: null })).toBe('req_1');
  });

  it('gives no key to system events, unknown types or empty fields', () => {
    expect(orderingKeyOf('hookstream.format_deprecated', { eventType: 'payin.succeeded' })).toBeNull();
    expect(orderingKeyOf('payin.succeeded', { transactionId: '' })).toBeNull();
    expect(orderingKeyOf('unknown.type', { transactionId: 'txn_1' })).toBeNull();
  });

  it('finds a key in the example of every merchant event type', () => {
    const catalogue = new EventCatalogue(loadSchemaFiles());
    const examples = new EventExamples(catalogue);
    for (const { type } of merchantEventTypes(catalogue.types())) {
      expect([type, orderingKeyOf(type, examples.get(type)?.data ?? {})]).toEqual([type, expect.any(String)]);
    }
  });
});
