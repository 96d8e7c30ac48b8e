/** An endpoint signing secret or an API key, wherever it sits in a text. */
const CREDENTIALS = /\b(whsec_|sk_(?:test|live)_)[A-Za-z0-9+/=_-]*/g;

/**
 * The text with every credential-shaped value (`whsec_…`, `sk_test_…`, `sk_live_…`) masked, for what is
 * echoed back to a caller, e.g. an error message naming a value it refused.
 */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIALS, '$1[redacted]');
}
