import {
  type DispatchRequested,
  type EventCatalogue,
  type EventEnvelope,
  TEST_EVENT_HEADER,
  TEST_EVENT_HEADER_VALUE,
} from '@hookstream/contracts';
import type { AvroCodec } from '@hookstream/kafka';
import { signContent, signedContent } from '@hookstream/signing';
import { hash } from 'node:crypto';
import type { SigningSecret } from './endpoint-registry';

export interface WebhookRequest {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
  readonly webhookTimestamp: number;
  readonly signedContentSha256: string;
  readonly secretFingerprints: string[];
}

/**
 * The body a merchant receives — `{ id, type, timestamp, formatVersion, data }`, with `orderingKey` and
 * `sequence` for a per-key endpoint; `data` in the endpoint's format version by Avro schema resolution —
 * serialised once, signed, and sent as is.
 */
export async function buildWebhookRequest(
  dispatch: DispatchRequested,
  secrets: readonly SigningSecret[],
  deps: { codec: AvroCodec; catalogue: EventCatalogue; userAgent: string; now: number },
): Promise<WebhookRequest> {
  const readerSchema = deps.catalogue.readerSchemaOf(dispatch.eventType, dispatch.formatVersion);
  if (!readerSchema) throw new Error(`no schema for ${dispatch.eventType} v${dispatch.formatVersion}`);
  const event = await deps.codec.decodeAs<EventEnvelope>(dispatch.event, readerSchema);
  // Optional fields are set, not spread in: fields after a spread cost a hidden class per object (see deliveryRefOf).
  const payload: Record<string, unknown> = {
    id: event.eventId,
    type: event.type,
    timestamp: new Date(event.createdAt).toISOString(),
    formatVersion: dispatch.formatVersion,
  };
  // A per-key endpoint's receiver can tell a gap in a key's deliveries (one exhausted) from a late one.
  if (dispatch.orderingKey && dispatch.sequence != null) {
    payload.orderingKey = dispatch.orderingKey;
    payload.sequence = dispatch.sequence;
  }
  payload.data = deps.catalogue.renderData(dispatch.eventType, dispatch.formatVersion, event.data);
  const body = Buffer.from(JSON.stringify(payload));
  const webhookTimestamp = Math.floor(deps.now / 1000);
  const content = signedContent(dispatch.deliveryId, webhookTimestamp, body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': deps.userAgent,
    ...signContent(
      dispatch.deliveryId,
      webhookTimestamp,
      content,
      secrets.map((entry) => entry.secret),
    ),
  };
  // Outside the signed body, so the Standard Webhooks contract is the same for test and live events.
  if (dispatch.isTest) headers[TEST_EVENT_HEADER] = TEST_EVENT_HEADER_VALUE;
  return {
    body,
    headers,
    webhookTimestamp,
    signedContentSha256: hash('sha256', content),
    secretFingerprints: secrets.map((entry) => entry.fingerprint),
  };
}
