/** Why a consumed value can never be decoded: set aside on the quarantine topic, never retried. */
export interface PermanentDecodeFailure {
  /** `garbage-bytes`: not a Confluent-framed value (or its payload does not decode); `unknown-schema`: the registry answers 404 for its id. */
  readonly kind: 'garbage-bytes' | 'unknown-schema';
  /** The reason recorded with the quarantined record; names the kind. */
  readonly reason: string;
}

/** A Confluent-framed value: magic byte 0, a 4-byte schema id, then the payload. */
export function isConfluentFramed(bytes: Buffer | null | undefined): bytes is Buffer {
  return !!bytes && bytes.length >= 5 && bytes[0] === 0;
}

/** Messages of decode errors that no retry can fix: bad framing (ours and the registry client's) and avsc payload errors. */
const PERMANENT_MESSAGE = /wire format|magic byte|truncated buffer|trailing data|invalid /i;

/**
 * Classifies a decode error: the permanent failure it shows, or undefined when it must be retried.
 * Permanent: bytes not in the Confluent wire format, a payload that does not decode under its schema,
 * a schema id the registry answers 404 for. Anything else (registry down: connection refused, 5xx,
 * timeout; and any error we do not recognise) is retried, never quarantined.
 */
export function permanentDecodeFailure(error: unknown, bytes?: Buffer | null): PermanentDecodeFailure | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number') {
    // A registry answer: only "not found" is permanent (the HTTP client reports network errors with a status too).
    if (status !== 404) return undefined;
    const id = isConfluentFramed(bytes) ? ` ${bytes.readInt32BE(1)}` : '';
    return { kind: 'unknown-schema', reason: `unknown schema id${id}: the schema registry does not know it` };
  }
  if (bytes !== undefined && !isConfluentFramed(bytes)) {
    return { kind: 'garbage-bytes', reason: 'garbage bytes: not in the Confluent wire format' };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError || PERMANENT_MESSAGE.test(message)) {
    return { kind: 'garbage-bytes', reason: `garbage bytes: ${message}` };
  }
  return undefined;
}

/** `decode(bytes)`, or the permanent failure it met; a failure worth retrying is thrown. */
export async function decodeOrPoison<T>(
  bytes: Buffer | null | undefined,
  decode: (bytes: Buffer) => Promise<T>,
): Promise<{ value: T; failure?: undefined } | { value?: undefined; failure: PermanentDecodeFailure }> {
  if (!isConfluentFramed(bytes)) {
    return { failure: { kind: 'garbage-bytes', reason: 'garbage bytes: not in the Confluent wire format' } };
  }
  try {
    return { value: await decode(bytes) };
  } catch (error) {
    const failure = permanentDecodeFailure(error, bytes);
    if (!failure) throw error;
    return { failure };
  }
}
