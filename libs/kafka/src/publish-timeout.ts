import { KafkaJSError } from 'kafkajs';

/**
 * A publish that Kafka did not acknowledge in time. `stillSending` is the request that carries its
 * records, if one was sent: they may yet reach the log, and it settles once that is known. Undefined:
 * the records were never sent and never will be.
 */
export class PublishTimeoutError extends Error {
  override readonly name = 'PublishTimeoutError';

  constructor(
    readonly timeoutMs: number,
    readonly stillSending: Promise<void> | undefined,
  ) {
    super(`Kafka did not acknowledge the records within ${timeoutMs} ms`);
  }
}

/** Whether a publish failed because Kafka is out of reach or refused to take the records for now. */
export function isEventLogUnavailable(error: unknown): boolean {
  return error instanceof PublishTimeoutError || error instanceof KafkaJSError;
}
