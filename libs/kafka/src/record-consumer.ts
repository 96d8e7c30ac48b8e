import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { groupConsumer } from './group-consumer';
import { PeriodicCommits } from './offset-committer';

/** How often the offsets of handled messages are committed. */
const COMMIT_INTERVAL_MS = 500;
/**
 * A fetch waits for this many bytes, or for `FETCH_WAIT_MS`: a consumer of a few records in a busy log (the delivery
 * log, for `EndpointDisabled`) then reads it in a few fetches a second, not in one per record that arrives.
 */
const FETCH_MIN_BYTES = 64 * 1024;
const FETCH_WAIT_MS = 250;

/**
 * One message at a time, its offset committed once its handler resolved (at least once), every half second
 * rather than after each fetch (kafkajs's own commits): for side effects that are idempotent, few and in no
 * hurry (a quarter of a second at most), such as applying an endpoint event to configuration.
 */
export class RecordConsumer {
  private readonly consumer: Consumer;
  private readonly commits: PeriodicCommits;

  constructor(
    private readonly options: {
      kafka: Kafka;
      groupId: string;
      topic: string;
      logger: Logger;
      handle(message: KafkaMessage, partition: number): Promise<void>;
    },
  ) {
    this.consumer = groupConsumer(options.kafka, options.groupId, {
      minBytes: FETCH_MIN_BYTES,
      maxWaitTimeInMs: FETCH_WAIT_MS,
    });
    this.commits = new PeriodicCommits(this.consumer, [options.topic], options.logger, COMMIT_INTERVAL_MS);
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        try {
          await this.options.handle(message, partition);
          this.commits.handled(this.options.topic, partition, BigInt(message.offset) + 1n);
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
    this.commits.start();
  }

  /** Commits what was handled, then stops (kafkajs commits nothing once stopped): what is in hand is read again. */
  async stop(): Promise<void> {
    await this.commits.stop();
    await this.consumer.disconnect();
  }
}
