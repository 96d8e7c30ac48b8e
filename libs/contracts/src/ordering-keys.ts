/**
 * The business key an event's deliveries are ordered by at a `per-key` endpoint: the payment it
 * belongs to, or for balance events the account. Fields are tried in order; the first string wins.
 */
const ORDERING_KEY_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'payin.succeeded': ['transactionId'],
  'payin.failed': ['transactionId'],
  // A refund is ordered with the payment it refunds (its own id when it does not say).
  'refund.updated': ['originalTransactionId', 'transactionId'],
  'payout.updated': ['transactionId'],
  // A failed request about a payment is ordered with it; any other stands alone.
  'api.request_failed': ['transactionId', 'requestId'],
};

/** Every `balance.*` event is ordered by its account. */
const BALANCE_KEY_FIELDS = ['accountId'] as const;

/** The event's ordering key, or null when its type has none (system events) or its data lacks the field. */
export function orderingKeyOf(eventType: string, data: Readonly<Record<string, unknown>>): string | null {
  const fields = ORDERING_KEY_FIELDS[eventType] ?? (eventType.startsWith('balance.') ? BALANCE_KEY_FIELDS : []);
  for (const field of fields) {
    const value = data[field];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}
