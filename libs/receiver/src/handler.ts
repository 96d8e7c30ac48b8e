import type { DeliveryStore } from './delivery-store';
import {
  DEFAULT_TOLERANCE_SECONDS,
  secretKeys,
  verifyWebhook,
  WebhookVerificationError,
  type WebhookHeaders,
} from './verify';

/** A verified, first-time webhook, as handed to the merchant's queue. */
export interface WebhookEvent<TPayload = unknown> {
  /** `webhook-id`: the delivery's id, the same on every retry; the dedupe key. */
  readonly webhookId: string;
  readonly timestampSeconds: number;
  /** The parsed JSON body: `{ id, type, timestamp, formatVersion, data }`. */
  readonly payload: TPayload;
  readonly rawBody: Buffer;
}

export interface WebhookHandlerOptions<TPayload = unknown> {
  /** Every currently valid `whsec_` secret: one, or two for the 24 h of a rotation. */
  readonly secrets: readonly string[];
  readonly store: DeliveryStore;
  /**
   * Hands the event to a queue and resolves once it is safely there. It must be fast (the sender
   * waits for the answer and gives up after its timeout); the slow work belongs to the queue's worker.
   */
  readonly enqueue: (event: WebhookEvent<TPayload>) => Promise<void> | void;
  readonly toleranceSeconds?: number;
  /** How long a `webhook-id` is remembered; longer than the sender's whole retry schedule (about 28 h). */
  readonly dedupeTtlMs?: number;
  readonly nowSeconds?: () => number;
}

export interface WebhookRequest {
  readonly headers: WebhookHeaders;
  /** The body exactly as received: re-serialised JSON would not match the signature. */
  readonly rawBody: string | Buffer;
}

export interface WebhookResponse {
  readonly status: number;
  readonly body: string;
}

export type WebhookHandler = (request: WebhookRequest) => Promise<WebhookResponse>;

export const DEFAULT_DEDUPE_TTL_MS = 3 * 24 * 60 * 60 * 1000;

/**
 * A framework-agnostic handler: verify, dedupe by `webhook-id`, enqueue, answer. It never throws;
 * every outcome is a status for the caller to send back.
 * - 400 for a malformed request and 401 for a bad signature or timestamp: the sender's retry will not fix them.
 * - 200 for a duplicate, without enqueueing it again.
 * - 500 when the store or the queue fails, after releasing the claim, so the sender's retry delivers it again.
 */
export function createWebhookHandler<TPayload = unknown>({
  secrets,
  store,
  enqueue,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
  dedupeTtlMs = DEFAULT_DEDUPE_TTL_MS,
  nowSeconds = () => Math.floor(Date.now() / 1000),
}: WebhookHandlerOptions<TPayload>): WebhookHandler {
  // Fail at start on a missing or undecodable secret, not on the first request.
  secretKeys(secrets);
  return async ({ headers, rawBody }) => {
    let event: WebhookEvent<TPayload>;
    try {
      const verified = verifyWebhook(headers, rawBody, secrets, { toleranceSeconds, nowSeconds: nowSeconds() });
      event = { ...verified, payload: JSON.parse(verified.rawBody.toString('utf8')) as TPayload };
    } catch (error) {
      if (error instanceof WebhookVerificationError) return rejection(error);
      if (error instanceof SyntaxError) return { status: 400, body: 'invalid-json' };
      throw error;
    }

    let isFirst: boolean;
    try {
      isFirst = await store.claim(event.webhookId, dedupeTtlMs);
    } catch {
      return { status: 500, body: 'store-unavailable' };
    }
    if (!isFirst) return { status: 200, body: 'duplicate' };

    try {
      await enqueue(event);
    } catch {
      await store.release(event.webhookId).catch(() => undefined);
      return { status: 500, body: 'enqueue-failed' };
    }
    return { status: 200, body: 'ok' };
  };
}

function rejection(error: WebhookVerificationError): WebhookResponse {
  const isMalformed = error.reason === 'missing-headers' || error.reason === 'bad-timestamp';
  return { status: isMalformed ? 400 : 401, body: error.reason };
}
