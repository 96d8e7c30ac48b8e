import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header values as Node's `IncomingMessage` (and Express, Fastify, Nest) expose them. */
export type WebhookHeaders = Readonly<Record<string, string | string[] | undefined>>;

export type VerificationFailure = 'missing-headers' | 'bad-timestamp' | 'too-old' | 'too-new' | 'no-matching-signature';

/** A request that must not be processed; `reason` says why, without revealing anything secret. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(readonly reason: VerificationFailure) {
    super(`webhook verification failed: ${reason}`);
  }
}

/** The authenticated parts of a request: its id (stable across retries) and the exact bytes signed. */
export interface VerifiedRequest {
  readonly webhookId: string;
  readonly timestampSeconds: number;
  readonly rawBody: Buffer;
}

export interface VerifyOptions {
  /** How far the `webhook-timestamp` may be from now, either way; 5 minutes by default (replay protection). */
  readonly toleranceSeconds?: number;
  readonly nowSeconds?: number;
}

export const DEFAULT_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';

/** Decodes `whsec_<base64>` secrets (the prefix is optional); throws on an empty list or an undecodable secret. */
export function secretKeys(secrets: readonly string[]): Buffer[] {
  if (secrets.length === 0) throw new Error('at least one webhook secret is required');
  return secrets.map((secret) => {
    const key = Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
    if (key.length === 0) throw new Error('a webhook secret must be whsec_ followed by base64');
    return key;
  });
}

/**
 * Verifies a Standard Webhooks request against every currently valid secret (two while one is
 * being rotated): the timestamp must be within the tolerance, and one `v1` signature must match
 * one secret, compared in constant time so the comparison leaks nothing about the expected value.
 */
export function verifyWebhook(
  headers: WebhookHeaders,
  rawBody: string | Buffer,
  secrets: readonly string[],
  { toleranceSeconds = DEFAULT_TOLERANCE_SECONDS, nowSeconds = Math.floor(Date.now() / 1000) }: VerifyOptions = {},
): VerifiedRequest {
  const keys = secretKeys(secrets);
  const webhookId = singleHeader(headers, 'webhook-id');
  const timestamp = singleHeader(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!webhookId || !timestamp || signatures.length === 0) throw new WebhookVerificationError('missing-headers');

  const timestampSeconds = Number(timestamp);
  if (!/^\d{1,15}$/.test(timestamp)) throw new WebhookVerificationError('bad-timestamp');
  if (timestampSeconds < nowSeconds - toleranceSeconds) throw new WebhookVerificationError('too-old');
  if (timestampSeconds > nowSeconds + toleranceSeconds) throw new WebhookVerificationError('too-new');

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const content = Buffer.concat([Buffer.from(`${webhookId}.${timestamp}.`, 'utf8'), body]);
  // The header may carry several space-separated signatures (the sender's secrets during a rotation).
  const offered = signatures
    .flatMap((value) => value.split(' '))
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(content).digest();
    // timingSafeEqual needs equal lengths; a length mismatch reveals only the (public) digest size.
    if (offered.some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))) {
      return { webhookId, timestampSeconds, rawBody: body };
    }
  }
  throw new WebhookVerificationError('no-matching-signature');
}

function header(headers: WebhookHeaders, name: string): string[] {
  // Node lowercases header names; other sources (a Fetch `Headers` copied to an object) may not.
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => item.trim()).filter((item) => item !== '');
}

/** A header sent twice is ambiguous for the id and timestamp, so it counts as missing. */
function singleHeader(headers: WebhookHeaders, name: string): string | undefined {
  const values = header(headers, name);
  return values.length === 1 ? values[0] : undefined;
}
