import { EventCatalogue, loadSchemaFiles, topicNames } from '@hookstream/contracts';
import { newId } from '@hookstream/delivery';
import { createSchemaRegistry, registerAvroSchema } from '@hookstream/kafka';
import { Kafka, logLevel } from 'kafkajs';
import { samplePayin } from './api';
import { stackEnv } from './stack';

/**
 * Publishes payin.succeeded events straight onto a prefix's events topic, as a platform team's
 * service would (Avro, the registry's schema id), bypassing the API. Returns the event ids.
 */
export async function publishDirectly(
  prefix: string,
  tenantId: string,
  count: number,
  dataOverrides: Record<string, unknown> = {},
): Promise<string[]> {
  const schema = loadSchemaFiles().find((file) => file.type === 'payin.succeeded' && file.formatVersion === 1);
  if (!schema) throw new Error('no payin.succeeded v1 schema');
  const registry = createSchemaRegistry(stackEnv.registryUrl);
  const { id: schemaId } = await registerAvroSchema(registry, topicNames(prefix).events, schema.schema);
  const parsed = new EventCatalogue(loadSchemaFiles()).parseData('payin.succeeded', 1, samplePayin(dataOverrides));
  if (!parsed.ok) throw new Error('bad sample event');
  const eventIds = Array.from({ length: count }, () => newId('evt'));
  const producer = new Kafka({
    clientId: `${prefix}-publisher`,
    brokers: stackEnv.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).producer({
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    await producer.send({
      topic: topicNames(prefix).events,
      acks: -1,
      messages: await Promise.all(
        eventIds.map(async (eventId) => ({
          key: tenantId,
          value: await registry.encode(schemaId, {
            eventId,
            tenantId,
            environment: 'sandbox',
            type: 'payin.succeeded',
            createdAt: Date.now(),
            data: parsed.value,
          }),
        })),
      ),
    });
  } finally {
    await producer.disconnect();
  }
  return eventIds;
}
