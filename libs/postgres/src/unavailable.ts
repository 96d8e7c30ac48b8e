/** Socket errors that mean the server is out of reach, not that the query was wrong. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server shutting down or not yet accepting connections (57P01–57P03), and of too many
 * connections (53300): each passes by itself. Class 08 (connection exceptions) is matched by prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** What pg and pg-pool say when a connection ends or cannot be made in time; they set no code. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/, // unexpectedly, or due to connection timeout (the pool's connect timeout)
  /^timeout exceeded when trying to connect$/, // the pool's wait for a free client
  /^Client has encountered a connection error and is not queryable$/,
];

/**
 * Whether `error` means Postgres is out of reach for now (down, restarting, refusing connections) rather
 * than that a query failed: such errors get a 503 with Retry-After, a wait-and-retry in background work.
 * Looks through `cause` and an AggregateError's `errors` (Node tries every address of a host name).
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
