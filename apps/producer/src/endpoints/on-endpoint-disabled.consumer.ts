import type { EndpointDisabled, TopicNames } from '@hookstream/contracts';
import {
  type AvroCodec,
  decodeOrPoison,
  type Kafka,
  type QuarantineWriter,
  RecordConsumer,
  type RegisteredSchema,
  schemaIdOf,
} from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { EndpointsRepository } from './endpoints.repository';
import type { OutboxRelay } from './outbox-relay';

/**
 * Applies `EndpointDisabled` from the delivery log to configuration: the endpoint's status becomes
 * disabled (with the reason) and the change reaches the other apps through the outbox.
 */
export function onEndpointDisabledConsumer(deps: {
  kafka: Kafka;
  groupId: string;
  topics: TopicNames;
  codec: AvroCodec;
  schema: RegisteredSchema;
  repository: EndpointsRepository;
  outbox: OutboxRelay;
  logger: Logger;
  quarantine: QuarantineWriter;
}): RecordConsumer {
  return new RecordConsumer({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topic: deps.topics.deliveryEvents,
    logger: deps.logger,
    handle: async (message, partition) => {
      if (!message.value) return;
      // The log carries many record types: only this one is decoded; the others' schema ids must be known (cached).
      const decoded = await decodeOrPoison<{ value: EndpointDisabled } | string>(message.value, (bytes) =>
        schemaIdOf(bytes) === deps.schema.id
          ? deps.codec.decode<EndpointDisabled>(bytes)
          : deps.codec.writerName(bytes),
      );
      if (decoded.failure) {
        const { reason } = decoded.failure;
        deps.logger.warn({ partition, offset: message.offset, reason }, 'delivery-log record quarantined');
        await deps.quarantine.put(deps.topics.deliveryEvents, message, reason, { partition, group: deps.groupId });
        return;
      }
      if (typeof decoded.value === 'string') return;
      const { value } = decoded.value;
      if (await deps.repository.disable(value.endpointId, value.reason, deps.topics.endpoints)) {
        deps.logger.info({ endpointId: value.endpointId, reason: value.reason }, 'endpoint disabled');
        await deps.outbox.flush().catch(() => undefined);
      }
    },
  });
}
