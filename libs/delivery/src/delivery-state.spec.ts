import {
  decide,
  DeliveryCommandRefused,
  type DeliveryEvent,
  type DeliveryState,
  evolve,
  UNKNOWN,
} from './delivery-state';

const facts = {
  deliveryId: 'dlv_1',
  eventId: 'evt_1',
  tenantId: 'ten_1',
  environment: 'sandbox' as const,
  endpointId: 'ep_1',
  eventType: 'payin.succeeded',
};
const attempt = (n: number, at: number, statusCode: number | null) => ({
  n,
  at,
  statusCode,
  latencyMs: 12,
  errorClass: statusCode === 200 ? null : 'non_2xx',
  error: statusCode === 200 ? null : `HTTP ${statusCode}`,
  responseBody: 'x',
});
const scheduled: DeliveryEvent = {
  type: 'DeliveryScheduled',
  ...facts,
  formatVersion: 1,
  schemaId: 42,
  transactionId: 'txn_1',
  scheduledAt: 100,
  isTest: false,
};
const failed1: DeliveryEvent = { type: 'AttemptFailed', ...facts, attempt: attempt(1, 110, 500) };
const retry2: DeliveryEvent = { type: 'RetryScheduled', ...facts, attempt: 2, dueAt: 5110 };
const succeeded2: DeliveryEvent = { type: 'AttemptSucceeded', ...facts, attempt: attempt(2, 5120, 200) };
const exhausted: DeliveryEvent = {
  type: 'DeliveryExhausted',
  ...facts,
  attempts: 1,
  exhaustedAt: 120,
  reason: 'retries_exhausted',
};
/** The dispatcher found the endpoint disabled when the next attempt was due: it was not made. */
const notAttempted = (attempts: number): DeliveryEvent => ({
  type: 'DeliveryExhausted',
  ...facts,
  attempts,
  exhaustedAt: 6000,
  reason: 'endpoint_disabled',
});
const redriven: DeliveryEvent = { type: 'DeliveryRedriven', ...facts, redrivenAt: 9000 };

const fold = (events: DeliveryEvent[], from: DeliveryState = UNKNOWN) => events.reduce(evolve, from);
const view = (state: DeliveryState) =>
  state.status === 'unknown'
    ? state
    : {
        status: state.status,
        attempts: state.attempts.map((a) => a.n),
        nextAttemptAt: state.nextAttemptAt,
        transactionId: state.transactionId,
        exhaustedReason: state.exhaustedReason,
      };

describe('evolve', () => {
  it('keeps the format version and schema id a delivery is rendered in, even when its scheduling comes late', () => {
    for (const state of [fold([scheduled]), fold([failed1, scheduled])]) {
      expect(state).toMatchObject({ formatVersion: 1, schemaId: 42 });
    }
  });

  it('marks a test delivery as a test, even when its scheduling comes after an attempt', () => {
    const test: DeliveryEvent = { ...scheduled, isTest: true };
    expect(fold([scheduled])).toMatchObject({ isTest: false });
    expect(fold([failed1])).toMatchObject({ isTest: false });
    for (const state of [fold([test, failed1]), fold([failed1, test])]) expect(state).toMatchObject({ isTest: true });
  });

  it.each<[string, DeliveryEvent[], ReturnType<typeof view>]>([
    [
      'scheduled',
      [scheduled],
      { status: 'pending', attempts: [], nextAttemptAt: 100, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'failed once',
      [scheduled, failed1],
      { status: 'failed', attempts: [1], nextAttemptAt: 100, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'waiting for its retry',
      [scheduled, failed1, retry2],
      { status: 'failed', attempts: [1], nextAttemptAt: 5110, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'succeeded on the retry',
      [scheduled, failed1, retry2, succeeded2],
      { status: 'succeeded', attempts: [1, 2], nextAttemptAt: null, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'exhausted',
      [scheduled, failed1, exhausted],
      {
        status: 'exhausted',
        attempts: [1],
        nextAttemptAt: null,
        transactionId: 'txn_1',
        exhaustedReason: 'retries_exhausted',
      },
    ],
    [
      'not attempted: its endpoint disabled',
      [scheduled, notAttempted(0)],
      {
        status: 'exhausted',
        attempts: [],
        nextAttemptAt: null,
        transactionId: 'txn_1',
        exhaustedReason: 'endpoint_disabled',
      },
    ],
    [
      'its retry not attempted: its endpoint disabled',
      [scheduled, failed1, retry2, notAttempted(1)],
      {
        status: 'exhausted',
        attempts: [1],
        nextAttemptAt: null,
        transactionId: 'txn_1',
        exhaustedReason: 'endpoint_disabled',
      },
    ],
    [
      'redriven once its endpoint is back',
      [scheduled, notAttempted(0), redriven],
      { status: 'pending', attempts: [], nextAttemptAt: 9000, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'a retry that went out before its endpoint was disabled, and succeeded',
      [scheduled, failed1, notAttempted(1), succeeded2],
      { status: 'succeeded', attempts: [1, 2], nextAttemptAt: null, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'redriven after exhaustion',
      [scheduled, failed1, exhausted, redriven],
      { status: 'pending', attempts: [1], nextAttemptAt: 9000, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'a late retry after success',
      [scheduled, succeeded2, retry2],
      { status: 'succeeded', attempts: [2], nextAttemptAt: null, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'exhaustion after success',
      [scheduled, succeeded2, exhausted],
      { status: 'succeeded', attempts: [2], nextAttemptAt: null, transactionId: 'txn_1', exhaustedReason: null },
    ],
    [
      'a log read from the middle',
      [failed1],
      { status: 'failed', attempts: [1], nextAttemptAt: null, transactionId: null, exhaustedReason: null },
    ],
  ])('%s', (_, events, expected) => {
    expect(view(fold(events))).toEqual(expected);
  });

  it('changes nothing when an event arrives twice', () => {
    const events = [scheduled, failed1, retry2, succeeded2];
    const once = fold(events);
    for (const event of events) expect(evolve(once, event)).toEqual(once);
    expect(fold(events.flatMap((event) => [event, event]))).toEqual(once);
  });

  it('orders attempts by number, whatever order they arrive in', () => {
    const state = fold([scheduled, succeeded2, failed1]);
    expect(view(state)).toMatchObject({ status: 'succeeded', attempts: [1, 2] });
  });
});

describe('decide', () => {
  it('redrives a failed, exhausted (attempted or not) or succeeded delivery', () => {
    for (const events of [
      [scheduled, failed1],
      [scheduled, failed1, exhausted],
      [scheduled, notAttempted(0)],
      [scheduled, succeeded2],
    ]) {
      expect(decide({ type: 'RetryNow', now: 42 }, fold(events))).toEqual([
        { type: 'DeliveryRedriven', ...facts, redrivenAt: 42 },
      ]);
    }
  });

  it('refuses an unknown delivery and one not attempted yet', () => {
    expect(() => decide({ type: 'RetryNow', now: 1 }, UNKNOWN)).toThrow(DeliveryCommandRefused);
    expect(() => decide({ type: 'RetryNow', now: 1 }, fold([scheduled]))).toThrow(/not been attempted/);
  });
});
