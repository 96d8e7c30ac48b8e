/**
 * Per-key ordering at one endpoint: deliveries of a key are numbered 1, 2, … as they are accepted,
 * and each goes out only once every earlier one has ended (succeeded, exhausted or dropped). Pure:
 * the sequencer loads a key's state, folds its records through these, and stores the result.
 */
export interface KeySequence {
  /** The number given to the key's latest delivery (0: none yet). */
  readonly lastSequence: number;
  /** Deliveries 1…finishedThrough have all ended: finishedThrough + 1 is the head, out now or next to go. */
  readonly finishedThrough: number;
}

export const NEW_KEY_SEQUENCE: KeySequence = { lastSequence: 0, finishedThrough: 0 };

/** A new delivery of the key: its number, and whether it goes now (it is the head) or waits for the head to end. */
export function numberDelivery(key: KeySequence): { key: KeySequence; sequence: number; goesNow: boolean } {
  const sequence = key.lastSequence + 1;
  return { key: { ...key, lastSequence: sequence }, sequence, goesNow: sequence === key.finishedThrough + 1 };
}

export type DeliveryEnd =
  /** The head ended: `release` is the waiting delivery that goes next, or null when none is numbered yet. */
  | { readonly kind: 'advanced'; readonly key: KeySequence; readonly release: number | null }
  /** Not the head's end: one heard before (a redelivered record, a redriven delivery's second end), or never numbered. */
  | { readonly kind: 'stale' };

export function endDelivery(key: KeySequence, sequence: number): DeliveryEnd {
  if (sequence !== key.finishedThrough + 1 || sequence > key.lastSequence) return { kind: 'stale' };
  const next = sequence + 1;
  return {
    kind: 'advanced',
    key: { ...key, finishedThrough: sequence },
    release: next <= key.lastSequence ? next : null,
  };
}
