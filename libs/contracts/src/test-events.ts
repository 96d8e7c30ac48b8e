/**
 * Marks a sample event sent by `POST /v1/endpoints/:id/test`: a header on its events-topic record
 * (so the fan-out leaves it alone without the public payload schemas changing) and on each webhook
 * request of its delivery (the Standard Webhooks body stays as it is).
 */
export const TEST_EVENT_HEADER = 'hookstream-test';
export const TEST_EVENT_HEADER_VALUE = '1';

/** Whether a Kafka record's headers mark it as a test event. */
export function isTestEventRecord(headers: Readonly<Record<string, unknown>> | undefined): boolean {
  const value = headers?.[TEST_EVENT_HEADER];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return first !== undefined && first !== null && String(first) === TEST_EVENT_HEADER_VALUE;
}
