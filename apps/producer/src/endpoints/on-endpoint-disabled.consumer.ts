import type { EndpointDisabled, TopicNames } from '@hookstream/contracts';
import { type AvroCodec, type Kafka, RecordConsumer, type RegisteredSchema, schemaIdOf } from '@hookstream/kafka';
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
}): RecordConsumer {
  return new RecordConsumer({
    kafka: deps.kafka,
    groupId: deps.groupId,
    topic: deps.topics.deliveryEvents,
    logger: deps.logger,
    handle: async (message) => {
      // The log carries many record types: only this one is decoded.
      if (
        !message.value ||
        message.value.length < 5 ||
        message.value[0] !== 0 ||
        schemaIdOf(message.value) !== deps.schema.id
      )
        return;
      const { value } = await deps.codec.decode<EndpointDisabled>(message.value);
      if (await deps.repository.disable(value.endpointId, value.reason, deps.topics.endpoints)) {
        deps.logger.info({ endpointId: value.endpointId, reason: value.reason }, 'endpoint disabled');
        await deps.outbox.flush().catch(() => undefined);
      }
    },
  });
}
