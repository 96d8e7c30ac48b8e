import { Kafka, logLevel, type LogEntry, type logCreator, type RetryOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaSettings } from './kafka-settings';
import { speedUpKafkajsProduceEncoding } from './kafkajs-produce-encoding';
import { fixKafkajsRequestQueue } from './kafkajs-request-queue-fix';

const pinoLevel: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** kafkajs logs through the app's pino logger, as structured fields. */
function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...fields } = log;
      logger[pinoLevel[level] ?? 'info']({ kafka: namespace, ...fields }, message);
    };
}

/**
 * kafkajs retries with waits doubling from 100 ms up to `maxRetryTime` (30 s by default), 8 times unless
 * `retry` says otherwise: a client that must notice a broker's return quickly (the API's publisher) caps it.
 */
export function createKafka(
  settings: KafkaSettings,
  clientId: string,
  logger: Logger,
  retry: Pick<RetryOptions, 'maxRetryTime' | 'retries'> = {},
): Kafka {
  if (!fixKafkajsRequestQueue()) logger.warn('kafkajs is not 2.2.4: its request queue is used as it is, unfixed');
  if (!speedUpKafkajsProduceEncoding()) logger.warn('kafkajs encodes its produce requests with its own encoder');
  return new Kafka({
    clientId,
    brokers: [...settings.brokers],
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(logger),
    retry: { initialRetryTime: 100, retries: 8, ...retry },
  });
}
