import {
  deliveryRefOf,
  type DispatchRequested,
  type OrderedDeliveryFinished,
  type SequenceSkipped,
} from '@hookstream/contracts';
import { endDelivery, type KeySequence, NEW_KEY_SEQUENCE, numberDelivery } from '@hookstream/delivery';

/** An ordered delivery to number (a dispatch request whose sequence is still null), or one's end. */
export type OrderingRecord =
  | { readonly kind: 'accepted'; readonly dispatch: DispatchRequested }
  | { readonly kind: 'finished'; readonly finished: OrderedDeliveryFinished };

/** What one batch changes: written in one Postgres transaction, published before it commits. */
export interface BatchPlan {
  /** The keys the batch moved, as they stand after it. */
  readonly keys: Map<string, KeySequence>;
  readonly numbered: { deliveryId: string; endpointId: string; orderingKey: string; sequence: number }[];
  /** Numbered deliveries that wait for the one before them, by `keyId` + sequence. */
  readonly waiting: Map<string, DispatchRequested>;
  /** Deliveries that go now. */
  readonly send: DispatchRequested[];
  /** Waiting deliveries of earlier batches to let go. */
  readonly release: { endpointId: string; orderingKey: string; sequence: number }[];
  readonly skipped: SequenceSkipped[];
}

/**
 * The batch folded through the key sequence rules, in offset order: what to number, park, send and
 * let go. Pure; `stored` is the state of the batch's keys as locked in Postgres.
 */
export function planBatch(
  records: readonly OrderingRecord[],
  stored: ReadonlyMap<string, KeySequence>,
  numberedBefore: ReadonlySet<string>,
  now: number,
): BatchPlan {
  const touched = new Map<string, KeySequence>();
  const plan: BatchPlan = { keys: touched, numbered: [], waiting: new Map(), send: [], release: [], skipped: [] };
  for (const record of records) {
    if (record.kind === 'accepted') {
      const { dispatch } = record;
      const { orderingKey } = dispatch;
      if (!orderingKey) {
        // Never written so by the fan-out: sent unordered rather than held for ever.
        plan.send.push(dispatch);
        continue;
      }
      // Numbered by an earlier try of this batch: that try published it already, or parked it.
      if (numberedBefore.has(dispatch.deliveryId)) continue;
      const id = keyId(dispatch.endpointId, orderingKey);
      const step = numberDelivery(touched.get(id) ?? stored.get(id) ?? NEW_KEY_SEQUENCE);
      touched.set(id, step.key);
      const numbered = { ...dispatch, sequence: step.sequence };
      plan.numbered.push({
        deliveryId: dispatch.deliveryId,
        endpointId: dispatch.endpointId,
        orderingKey,
        sequence: step.sequence,
      });
      if (step.goesNow) plan.send.push(numbered);
      else plan.waiting.set(`${id}\u0000${step.sequence}`, numbered);
      continue;
    }
    const { finished } = record;
    const id = keyId(finished.endpointId, finished.orderingKey);
    const end = endDelivery(touched.get(id) ?? stored.get(id) ?? NEW_KEY_SEQUENCE, finished.sequence);
    if (end.kind === 'stale') continue;
    touched.set(id, end.key);
    if (finished.outcome !== 'succeeded') {
      plan.skipped.push({
        orderingKey: finished.orderingKey,
        sequence: finished.sequence,
        reason: finished.outcome,
        skippedAt: now,
        ...deliveryRefOf(finished),
      });
    }
    if (end.release === null) continue;
    // Parked by this very batch: it goes straight out; else it waits in Postgres since an earlier one.
    const parkedHere = `${id}\u0000${end.release}`;
    const waiting = plan.waiting.get(parkedHere);
    if (waiting) {
      plan.waiting.delete(parkedHere);
      plan.send.push(waiting);
    } else {
      plan.release.push({ endpointId: finished.endpointId, orderingKey: finished.orderingKey, sequence: end.release });
    }
  }
  return plan;
}

export function keyId(endpointId: string, orderingKey: string): string {
  return `${endpointId}\u0000${orderingKey}`;
}

export function splitKeyId(id: string): { endpointId: string; orderingKey: string } {
  const at = id.indexOf('\u0000');
  return { endpointId: id.slice(0, at), orderingKey: id.slice(at + 1) };
}
