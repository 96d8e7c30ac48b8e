import { samplePayin } from '../../support/api';

export interface AcceptedEvent {
  readonly id: string;
  /** When the 202 came back (this process's clock, as the receiver's). */
  readonly acceptedAt: number;
}

export interface RefusedPost {
  readonly at: number;
  /** The HTTP status, or 0 when no answer came (connection refused or reset). */
  readonly status: number;
  readonly retryAfter?: string;
  readonly error?: string;
}

export interface LoadResult {
  readonly accepted: readonly AcceptedEvent[];
  readonly refused: readonly RefusedPost[];
}

export interface Load {
  /** What has been recorded so far. */
  readonly accepted: readonly AcceptedEvent[];
  readonly refused: readonly RefusedPost[];
  /** Stops sending and waits for the posts in flight. */
  stop(): Promise<LoadResult>;
}

/**
 * POSTs payin.succeeded events at a steady rate, each on its own (no retry: a refused post is recorded,
 * and an event counts as accepted only with its 202).
 */
export function startLoad(baseUrl: string, key: string, perSecond: number): Load {
  const accepted: AcceptedEvent[] = [];
  const refused: RefusedPost[] = [];
  const inFlight = new Set<Promise<void>>();
  let sequence = 0;
  const post = async () => {
    const transactionId = `txn_fault_${sequence++}`;
    try {
      const response = await fetch(`${baseUrl}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'payin.succeeded', data: samplePayin({ transactionId }) }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      if (response.status === 202) {
        accepted.push({ id: (JSON.parse(text) as { id: string }).id, acceptedAt: Date.now() });
      } else {
        refused.push({
          at: Date.now(),
          status: response.status,
          retryAfter: response.headers.get('retry-after') ?? undefined,
          error: text.slice(0, 200),
        });
      }
    } catch (error) {
      refused.push({ at: Date.now(), status: 0, error: String((error as Error).cause ?? error) });
    }
  };
  // A fixed cadence, not "the next when the last is done": a slow or dead API must not slow the load.
  const timer = setInterval(() => {
    const sent = post();
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }, 1000 / perSecond);
  return {
    accepted,
    refused,
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      return { accepted: [...accepted], refused: [...refused] };
    },
  };
}
