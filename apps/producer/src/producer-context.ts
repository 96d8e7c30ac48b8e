import type { EventCatalogue, TopicNames } from '@hookstream/contracts';
import type { Admin, AvroCodec, Kafka, Publisher, RegisteredSchemas } from '@hookstream/kafka';
import type { SecretSealer } from '@hookstream/secrets';
import type { OutboxRelay } from './endpoints/outbox-relay';

/** The clients and catalogues main.ts builds before Nest starts, injected where they are used. */
export class ProducerContext {
  constructor(
    readonly catalogue: EventCatalogue,
    readonly topics: TopicNames,
    readonly codec: AvroCodec,
    readonly schemas: RegisteredSchemas,
    readonly publisher: Publisher,
    readonly sealer: SecretSealer,
    readonly outbox: OutboxRelay,
    /** For reading the log itself (a replay), beside the consumers main.ts runs. */
    readonly kafka: Kafka,
    readonly admin: Admin,
  ) {}
}
