/**
 * The quick form runs in `npm test` (about two minutes, its stack start included); the long form, with
 * more load and the full outages, in `npm run test:faults` and `npm run test:full` (HOOKSTREAM_TEST_FULL=1).
 */
export const isLongForm = process.env.HOOKSTREAM_TEST_FULL === '1';

export const profile = isLongForm
  ? {
      /** Events a second the load generator posts during a fault. */
      eventsPerSecond: 25,
      /** Load before the fault, and after recovery, before the invariant is checked. */
      loadBeforeMs: 5000,
      loadAfterMs: 5000,
      /** How long a stopped stack service stays down (scenarios 2–4). */
      outageMs: 20_000,
      chaosEvents: 200,
      chaosEventsPerSecond: 20,
      settleTimeoutMs: 180_000,
    }
  : {
      eventsPerSecond: 8,
      loadBeforeMs: 1500,
      loadAfterMs: 1500,
      outageMs: 5000,
      chaosEvents: 30,
      chaosEventsPerSecond: 10,
      settleTimeoutMs: 90_000,
    };
