import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';

/**
 * One message at a time, committed after its handler resolves (at least once): for side effects
 * that are idempotent and few, such as applying an endpoint event to configuration.
 */
export class RecordConsumer {
  private readonly consumer: Consumer;

  constructor(
    private readonly options: {
      kafka: Kafka;
      groupId: string;
      topic: string;
      logger: Logger;
      handle(message: KafkaMessage, partition: number): Promise<void>;
    },
  ) {
    this.consumer = groupConsumer(options.kafka, options.groupId);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message, partition }) => {
        try {
          await this.options.handle(message, partition);
        } catch (error) {
          // Left uncommitted: kafkajs seeks back and the message comes again.
          this.options.logger.warn(
            { err: error, topic: this.options.topic, partition, offset: message.offset },
            'handling failed; retrying',
          );
          await new Promise((resolve) => setTimeout(resolve, 1000));
          throw error;
        }
      },
    });
  }

  stop(): Promise<void> {
    return this.consumer.disconnect();
  }
}
