import { deliveryIdFor } from '@hookstream/delivery';
import type { ApiCall } from '../../support/api';
import type { ReceivedWebhook } from '../../support/receiver';
import type { AcceptedEvent } from './load';
import type { ScriptedEndpoint } from './scripted-endpoint';

/** An endpoint subscribed to every event the load sends, and the receiver path behind it. */
export interface SubscribedEndpoint {
  readonly id: string;
  readonly receiver: ScriptedEndpoint;
}

export interface InvariantInput {
  readonly api: ApiCall;
  readonly key: string;
  readonly events: readonly AcceptedEvent[];
  readonly endpoints: readonly SubscribedEndpoint[];
  /** No crash lost an attempt's record: the projection holds exactly one attempt per arrival. */
  readonly exactAttempts: boolean;
  readonly timeoutMs: number;
}

export interface InvariantReport {
  readonly events: number;
  /** (event, endpoint) pairs: the deliveries there must be. */
  readonly deliveries: number;
  readonly arrivals: number;
  /** Arrivals of a webhook-id after the receiver had already answered it 200. */
  readonly duplicates: number;
  /** Deliveries the receiver never saw. */
  readonly missing: readonly string[];
  /** Deliveries that came under more than one webhook-id, or not under the delivery's own id. */
  readonly wrongWebhookIds: readonly string[];
  /** Deliveries whose projection disagrees with what the receiver saw (once the deadline passed). */
  readonly projectionMismatches: readonly string[];
  /** Per endpoint id: from each event's 202 to its first arrival there. */
  readonly firstArrivalMs: ReadonlyMap<string, readonly number[]>;
  /** From the check's start until every delivery had arrived and its projection agreed. */
  readonly settledMs: number;
}

interface Delivery {
  readonly label: string;
  readonly event: AcceptedEvent;
  readonly endpoint: SubscribedEndpoint;
  readonly arrivals: readonly ReceivedWebhook[];
}

/**
 * The fault suite's invariant: every accepted event reached every subscribed endpoint at least once, all
 * its requests under one webhook-id (the delivery's id), and the projections agree, eventually, with
 * what the receiver saw. Waits up to `timeoutMs` for that, then reports what still does not hold.
 */
export async function checkDeliveryInvariant(input: InvariantInput): Promise<InvariantReport> {
  const started = Date.now();
  const deadline = started + input.timeoutMs;
  let deliveries = collect(input);
  while (deliveries.some((delivery) => delivery.arrivals.length === 0) && Date.now() < deadline) {
    await sleep(200);
    deliveries = collect(input);
  }
  let disagreeing = deliveries.filter((delivery) => delivery.arrivals.length > 0);
  let mismatches: string[];
  for (let finalPass = false; ;) {
    // Arrivals still come (a redelivery after a crash): judge the receiver's latest view each time.
    const current = new Map(collect(input).map((delivery) => [delivery.label, delivery]));
    const verdicts = await inChunks(disagreeing, 16, (delivery) =>
      projectionMismatch(input, current.get(delivery.label) ?? delivery),
    );
    const stillDisagreeing = disagreeing.filter((_, index) => verdicts[index] !== undefined);
    mismatches = verdicts.filter((verdict): verdict is string => verdict !== undefined);
    if (stillDisagreeing.length === 0) {
      if (finalPass) break;
      // Everything agreed once: check all of them again, since a late duplicate can change an agreed one.
      finalPass = true;
      disagreeing = [...current.values()].filter((delivery) => delivery.arrivals.length > 0);
      continue;
    }
    finalPass = false;
    disagreeing = stillDisagreeing;
    if (Date.now() >= deadline) break;
    await sleep(500);
  }
  deliveries = collect(input);
  return summarise(input, deliveries, mismatches, Date.now() - started);
}

function collect(input: InvariantInput): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const endpoint of input.endpoints) {
    const byEvent = new Map<string, ReceivedWebhook[]>();
    for (const arrival of endpoint.receiver.arrivals()) {
      const eventId = (JSON.parse(arrival.body) as { id: string }).id;
      byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), arrival]);
    }
    for (const event of input.events) {
      deliveries.push({
        label: `${event.id} → ${endpoint.id}`,
        event,
        endpoint,
        arrivals: byEvent.get(event.id) ?? [],
      });
    }
  }
  return deliveries;
}

interface ProjectedDelivery {
  readonly status: string;
  readonly attempts: readonly { n: number; statusCode: number | null }[];
}

/** Undefined when the projection agrees with the receiver; otherwise what disagrees. */
async function projectionMismatch(input: InvariantInput, delivery: Delivery): Promise<string | undefined> {
  const webhookId = deliveryIdFor(delivery.event.id, delivery.endpoint.id);
  const found = await input
    .api<ProjectedDelivery>('GET', `/v1/deliveries/${webhookId}`, { key: input.key })
    .catch((error: Error) => ({ status: `no answer (${error.message})`, body: undefined }));
  if (found.body === undefined) return `${delivery.label}: GET /v1/deliveries/${webhookId}: ${found.status}`;
  if (found.status !== 200) return `${delivery.label}: GET /v1/deliveries/${webhookId} answered ${found.status}`;
  const { status, attempts } = found.body;
  const arrivals = delivery.arrivals.length;
  const answeredOk = delivery.arrivals.some((arrival) => delivery.endpoint.receiver.answerTo(arrival) === 'ok');
  const expectedStatus = answeredOk ? 'succeeded' : 'exhausted';
  if (status !== expectedStatus) return `${delivery.label}: ${status}, the receiver says ${expectedStatus}`;
  // Every recorded attempt reached the receiver; a crash may lose the record of one that did.
  const attemptsAgree = input.exactAttempts ? attempts.length === arrivals : attempts.length <= arrivals;
  if (!attemptsAgree || attempts.length === 0)
    return `${delivery.label}: ${attempts.length} attempts, ${arrivals} arrivals`;
  return undefined;
}

function summarise(
  input: InvariantInput,
  deliveries: readonly Delivery[],
  projectionMismatches: string[],
  settledMs: number,
): InvariantReport {
  const missing: string[] = [];
  const wrongWebhookIds: string[] = [];
  const firstArrivalMs = new Map<string, number[]>(input.endpoints.map((endpoint) => [endpoint.id, []]));
  let arrivals = 0;
  let duplicates = 0;
  for (const delivery of deliveries) {
    arrivals += delivery.arrivals.length;
    const [first] = delivery.arrivals;
    if (!first) {
      missing.push(delivery.label);
      continue;
    }
    firstArrivalMs.get(delivery.endpoint.id)?.push(first.receivedAt - delivery.event.acceptedAt);
    const ids = new Set(delivery.arrivals.map((arrival) => String(arrival.headers['webhook-id'])));
    const expected = deliveryIdFor(delivery.event.id, delivery.endpoint.id);
    if (ids.size !== 1 || !ids.has(expected)) wrongWebhookIds.push(`${delivery.label}: ${[...ids].join(', ')}`);
    const firstOk = delivery.arrivals.findIndex((arrival) => delivery.endpoint.receiver.answerTo(arrival) === 'ok');
    if (firstOk >= 0) duplicates += delivery.arrivals.length - firstOk - 1;
  }
  return {
    events: input.events.length,
    deliveries: deliveries.length,
    arrivals,
    duplicates,
    missing,
    wrongWebhookIds,
    projectionMismatches,
    firstArrivalMs,
    settledMs,
  };
}

async function inChunks<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += size) {
    results.push(...(await Promise.all(items.slice(start, start + size).map(work))));
  }
  return results;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile (0–100) of some numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
