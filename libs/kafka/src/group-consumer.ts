import type { Consumer, ConsumerConfig, ConsumerRunConfig, Kafka } from 'kafkajs';

/** The pause before a consumer that kafkajs gave up on is started again (and between further tries). */
const RESTART_DELAY_MS = 2000;

/**
 * A consumer in a group, reading only committed records (other apps write transactionally). A short
 * session: a crashed instance's partitions move to a live one within seconds, not half a minute.
 */
export function groupConsumer(
  kafka: Kafka,
  groupId: string,
  overrides: Partial<Omit<ConsumerConfig, 'groupId'>> = {},
): Consumer {
  return restartedAfterAnyCrash(
    kafka.consumer({
      readUncommitted: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      ...overrides,
      groupId,
    }),
  );
}

/**
 * kafkajs restarts a crashed consumer itself only after a retriable error. After any other (no group
 * coordinator yet while a broker starts, no broker reachable for a while) it stays stopped for good, and
 * the app would go on without it, silently. This starts it again, with the same handlers, after a pause
 * and until it succeeds, unless it was disconnected on purpose. Whatever it had not committed is read
 * again, as after any crash.
 */
export function restartedAfterAnyCrash(consumer: Consumer, delayMs = RESTART_DELAY_MS): Consumer {
  let runConfig: ConsumerRunConfig | undefined;
  let isDisconnected = false;
  const run = consumer.run.bind(consumer);
  const disconnect = consumer.disconnect.bind(consumer);
  const restart = (): void => {
    setTimeout(() => {
      if (isDisconnected || !runConfig) return;
      consumer.logger().warn('Restarting the consumer kafkajs stopped after a crash');
      consumer
        .connect()
        .then(() => run(runConfig))
        .catch((error: unknown) => {
          consumer.logger().error('Restart failed; trying again', { error: String(error) });
          restart();
        });
    }, delayMs).unref();
  };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) restart();
  });
  consumer.run = (config) => {
    runConfig = config;
    return run(config);
  };
  consumer.disconnect = () => {
    isDisconnected = true;
    return disconnect();
  };
  return consumer;
}
