/**
 * Remembers which `webhook-id`s were received, so a retried or replayed delivery is processed once.
 * `claim` answers true the first time an id is seen (or once its previous claim expired), false for a duplicate.
 */
export interface DeliveryStore {
  claim(webhookId: string, ttlMs: number): Promise<boolean>;
  /** Forgets a claim whose event could not be queued, so the sender's retry is processed. */
  release(webhookId: string): Promise<void>;
}

export interface MemoryDeliveryStoreOptions {
  /** Beyond this many ids the oldest are forgotten first, bounding memory at the cost of a shorter window. */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/**
 * A process-local store: fine for one instance; several instances (or restarts) need a shared one
 * such as `PostgresDeliveryStore`. Expired ids are swept on each claim rather than by a timer, so
 * nothing keeps the process alive.
 */
export class MemoryDeliveryStore implements DeliveryStore {
  // A Map iterates in insertion order, so the oldest claims come first, for both the sweep and eviction.
  private readonly expiries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor({ maxEntries = 100_000, now = Date.now }: MemoryDeliveryStoreOptions = {}) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error('maxEntries must be a positive integer');
    this.maxEntries = maxEntries;
    this.now = now;
  }

  get size(): number {
    return this.expiries.size;
  }

  async claim(webhookId: string, ttlMs: number): Promise<boolean> {
    if (!(ttlMs >= 0)) throw new Error('ttlMs must be zero or more');
    const now = this.now();
    this.sweep(now);
    const expiresAt = this.expiries.get(webhookId);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.expiries.delete(webhookId);
    this.expiries.set(webhookId, now + ttlMs);
    while (this.expiries.size > this.maxEntries) {
      const oldest = this.expiries.keys().next().value;
      if (oldest === undefined) break;
      this.expiries.delete(oldest);
    }
    return true;
  }

  async release(webhookId: string): Promise<void> {
    this.expiries.delete(webhookId);
  }

  /** Drops expired ids from the oldest on, stopping at the first live one: amortised O(1) per claim. */
  private sweep(now: number): void {
    for (const [webhookId, expiresAt] of this.expiries) {
      if (expiresAt > now) return;
      this.expiries.delete(webhookId);
    }
  }
}
