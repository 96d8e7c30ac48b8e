/** The messages between the benchmark and its receiver process (receiver-main.ts). */
export type ReceiverCommand =
  | { readonly kind: 'secrets'; readonly secretsByPath: Readonly<Record<string, string>> }
  /** Forgets everything counted so far; `recordArrivals` keeps each webhook's event id, path and time. */
  | { readonly kind: 'reset'; readonly recordArrivals: boolean }
  | { readonly kind: 'stats' }
  | { readonly kind: 'arrivals' };

export interface ReceiverStats {
  /** Answered webhooks since the last reset (dead paths are never answered, so never counted). */
  readonly requests: number;
  readonly uniqueWebhookIds: number;
  readonly verified: number;
  readonly verificationFailures: readonly string[];
  /** Epoch milliseconds of the first and last answered webhook since the last reset. */
  readonly firstAt: number | null;
  readonly lastAt: number | null;
  /** Requests to dead paths held open now. */
  readonly hanging: number;
  /** Webhooks a `/fail-once/` path answered 500 (their retries are answered, and counted, as any other). */
  readonly refusedOnce: number;
}

export type Arrival = readonly [eventId: string, path: string, arrivedAt: number];

export type ReceiverReply =
  | { readonly kind: 'ok' }
  | { readonly kind: 'stats'; readonly stats: ReceiverStats }
  | { readonly kind: 'arrivals'; readonly arrivals: readonly Arrival[] };
