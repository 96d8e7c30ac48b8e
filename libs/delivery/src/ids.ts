import { hash, randomBytes } from 'node:crypto';

// Crockford base32: sortable, case-insensitive, no ambiguous letters.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function base32(bytes: Uint8Array, length: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.padEnd(length, '0');
}

/** A time-ordered id (48-bit milliseconds, then 80 random bits), so ids sort by creation time. */
export function newId(prefix: 'evt' | 'ten' | 'ep' | 'key' | 'rpl', nowMs = Date.now()): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  randomBytes(10).copy(bytes, 6);
  return `${prefix}_${base32(bytes, 26).toLowerCase()}`;
}

/** One delivery per (event, endpoint), whoever computes it and however often: a replay finds the same id. */
export function deliveryIdFor(eventId: string, endpointId: string): string {
  const digest = hash('sha256', `${eventId}\u0000${endpointId}`, 'buffer');
  return `dlv_${base32(digest, 26).toLowerCase()}`;
}

/**
 * An event id derived from what the event is about (e.g. a notice to one endpoint), for events the
 * engine sends once per subject: sent again after a crash, it carries the same id, hence the same webhook-id.
 */
export function derivedEventId(...subject: readonly string[]): string {
  const digest = hash('sha256', subject.join('\u0000'), 'buffer');
  return `evt_${base32(digest, 26).toLowerCase()}`;
}
