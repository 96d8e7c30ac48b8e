import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';

/**
 * A consumer in a group, reading only committed records (other apps write transactionally). A short
 * session: a crashed instance's partitions move to a live one within seconds, not half a minute.
 */
export function groupConsumer(
  kafka: Kafka,
  groupId: string,
  overrides: Partial<Omit<ConsumerConfig, 'groupId'>> = {},
): Consumer {
  return kafka.consumer({
    readUncommitted: false,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    ...overrides,
    groupId,
  });
}
