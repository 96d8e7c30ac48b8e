// Scenario 5: one receiver misbehaves (500s, resets, answers past the timeout, one 429 with Retry-After);
// its retries follow the schedule, and a healthy endpoint beside it does not notice.
import type { TestReceiver } from '../../support/receiver';
import { checkDeliveryInvariant, percentile, type InvariantReport } from '../support/delivery-invariant';
import { startLoad, type LoadResult } from '../support/load';
import { profile } from '../support/profile';
import { countBy, reportScenario, type ScenarioFigures } from '../support/report';
import { alwaysOk, chaosDeck, type ScriptedEndpoint } from '../support/scripted-endpoint';
import type { SupervisedEngine } from '../support/supervised-engine';
import { tenantWithEndpoints, waitUntilSubscribed } from './tenant';

/** The chaotic endpoint's settings, and what its receiver does. */
export const CHAOS = {
  /** The endpoint's timeout (the API's minimum): a `slow` answer comes half a second after it. */
  timeoutMs: 1000,
  slowMs: 1500,
  /**
   * Equal delays, so a 429's Retry-After (3 s, within the honoured [delay, 2 × delay]) stands out from
   * any jittered delay (2 s ± 20 %); ten retries make exhaustion rare (each attempt fails half the time).
   */
  scheduleMs: 2000,
  retries: 10,
  retryAfterSeconds: 3,
  /** Which request (0-based, the warm-up's included) is answered 429. */
  throttleAt: 3,
  /** The deployment's RETRY_JITTER (the default). */
  jitter: 0.2,
  seed: 20261129,
};

/** A scheduled delay may be rounded to whole seconds (tiers of 1 s and more) either way. */
const ROUNDING_MS = 500;
/** Lateness allowed on top of the schedule: the retry tiers are polled, and this machine has two cores. */
const LATENESS_MS = 3000;

export interface ChaosOutcome {
  readonly figures: ScenarioFigures;
  readonly invariant: InvariantReport;
  readonly load: LoadResult;
  /** Retry gaps outside the schedule, described. */
  readonly scheduleViolations: readonly string[];
  /** From the 429 to the next attempt of that delivery (undefined: no 429 was answered or nothing followed). */
  readonly throttledGapMs: number | undefined;
  readonly healthyP99Ms: number;
  /** Counts of each answer the chaotic receiver gave. */
  readonly answers: Readonly<Record<string, number>>;
  readonly exhausted: number;
}

export async function receiverChaos(
  engine: SupervisedEngine,
  receiver: TestReceiver,
  receiverUrl: string,
): Promise<ChaosOutcome> {
  const tenant = await tenantWithEndpoints(engine.baseUrl, receiver, receiverUrl, 'fault receiver chaos', [
    {
      path: '/chaos/flaky',
      script: chaosDeck(CHAOS.seed, CHAOS.throttleAt),
      scriptOptions: { slowMs: CHAOS.slowMs, retryAfterSeconds: CHAOS.retryAfterSeconds },
      settings: {
        timeoutMs: CHAOS.timeoutMs,
        retrySchedule: Array.from({ length: CHAOS.retries }, () => `${CHAOS.scheduleMs / 1000}s`),
      },
    },
    { path: '/chaos/healthy', script: alwaysOk },
  ]);
  const [flaky, healthy] = tenant.endpoints;
  if (!flaky || !healthy) throw new Error('the chaos scenario needs its two endpoints');
  await waitUntilSubscribed(tenant);

  const load = startLoad(engine.baseUrl, tenant.key, profile.chaosEventsPerSecond);
  await sleep((1000 * profile.chaosEvents) / profile.chaosEventsPerSecond);
  const result = await load.stop();
  const invariant = await checkDeliveryInvariant({
    api: tenant.api,
    key: tenant.key,
    events: result.accepted,
    endpoints: tenant.endpoints,
    exactAttempts: true,
    timeoutMs: profile.settleTimeoutMs,
  });

  const gaps = retryGaps(flaky.receiver);
  const healthyP99Ms = percentile(invariant.firstArrivalMs.get(healthy.id) ?? [], 99);
  const answers = countBy(flaky.receiver.arrivals().map((arrival) => flaky.receiver.answerTo(arrival) ?? 'none'));
  const exhausted = exhaustedDeliveries(flaky.receiver);
  const figures = reportScenario({
    scenario: '5 receiver chaos',
    events: invariant.events,
    deliveries: invariant.deliveries,
    duplicates: invariant.duplicates,
    // No engine fault to recover from: the time, after the load, until every delivery had settled.
    recoverMs: invariant.settledMs,
    answers,
    exhausted,
    healthyP99Ms,
    throttledGapMs: gaps.throttledGapMs,
  });
  return { figures, invariant, load: result, ...gaps, healthyP99Ms, answers, exhausted };
}

/**
 * Each gap between two attempts of one delivery, against the schedule: at least the jittered delay
 * (after the failed attempt's own time, a timeout's included), at most that plus some lateness; after
 * the 429, at least its Retry-After.
 */
function retryGaps(endpoint: ScriptedEndpoint): { scheduleViolations: string[]; throttledGapMs: number | undefined } {
  const byDelivery = new Map<string, ReturnType<ScriptedEndpoint['arrivals']>>();
  for (const arrival of endpoint.arrivals()) {
    const id = String(arrival.headers['webhook-id']);
    byDelivery.set(id, [...(byDelivery.get(id) ?? []), arrival]);
  }
  const scheduleViolations: string[] = [];
  let throttledGapMs: number | undefined;
  for (const [id, arrivals] of byDelivery) {
    for (let n = 1; n < arrivals.length; n++) {
      const previous = arrivals[n - 1];
      const next = arrivals[n];
      if (!previous || !next) continue;
      const gap = next.receivedAt - previous.receivedAt;
      const answer = endpoint.answerTo(previous);
      const failedAfter = answer === 'slow' ? CHAOS.timeoutMs : 0;
      let min = CHAOS.scheduleMs * (1 - CHAOS.jitter) - ROUNDING_MS + failedAfter;
      let max = CHAOS.scheduleMs * (1 + CHAOS.jitter) + ROUNDING_MS + failedAfter + LATENESS_MS;
      if (answer === 'throttled') {
        throttledGapMs = gap;
        min = CHAOS.retryAfterSeconds * 1000;
        max = 2 * CHAOS.scheduleMs + LATENESS_MS;
      }
      if (gap < min || gap > max) {
        scheduleViolations.push(`${id} attempt ${n} (${answer}) → ${n + 1}: ${gap} ms, expected ${min}–${max} ms`);
      }
    }
  }
  return { scheduleViolations, throttledGapMs };
}

/** Deliveries whose every attempt failed: 1 + the schedule's retries, none answered 200. */
function exhaustedDeliveries(endpoint: ScriptedEndpoint): number {
  const okOrNot = new Map<string, boolean>();
  for (const arrival of endpoint.arrivals()) {
    const id = String(arrival.headers['webhook-id']);
    okOrNot.set(id, (okOrNot.get(id) ?? false) || endpoint.answerTo(arrival) === 'ok');
  }
  return [...okOrNot.values()].filter((ok) => !ok).length;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
