import type { KafkaMessage } from 'kafkajs';
import type { OutgoingRecord } from './partition-transactions';

/** A record we cannot read, set aside as it came (bytes and key) with why and where from: nothing is lost. */
export function quarantineRecord(
  quarantineTopic: string,
  sourceTopic: string,
  message: KafkaMessage,
  reason: string,
): OutgoingRecord {
  return {
    topic: quarantineTopic,
    message: {
      key: message.key ?? null,
      value: message.value ?? null,
      headers: { 'hookstream-reason': reason, 'hookstream-source-topic': sourceTopic },
    },
  };
}
