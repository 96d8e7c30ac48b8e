// The dispatcher's view of the endpoints, read from the compacted endpoints topic. It drops a delivery for
// an endpoint it does not know or reads as disabled, so it must not take one created or enabled a moment
// ago (the change on the topic, not yet read) for missing or disabled.
import { type EndpointConfigured, loadInternalSchema, topicCatalogue, topicNames } from '@hookstream/contracts';
import { AvroCodec, createSchemaRegistry, ensureTopics, QuarantineWriter } from '@hookstream/kafka';
import { MasterKey, SecretSealer } from '@hookstream/secrets';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { EndpointRegistry } from '../../apps/dispatcher/src/endpoint-registry';
import { cleanUp } from '../support/clean-up';
import { stackEnv, uniqueName } from '../support/stack';

const prefix = uniqueName('it-endpoint-registry');
const topics = topicNames(prefix);
const kafka = new Kafka({ clientId: prefix, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true });
const codec = new AvroCodec(createSchemaRegistry(stackEnv.registryUrl));
const sealer = new SecretSealer(MasterKey.fromBase64(randomBytes(32).toString('base64')));
const quarantine = new QuarantineWriter(kafka, topics.quarantine);
let schemaId: number;
let registry: EndpointRegistry;

beforeAll(async () => {
  await admin.connect();
  await ensureTopics(
    admin,
    topicCatalogue(prefix, 2).filter((spec) => spec.name === topics.endpoints),
  );
  ({ id: schemaId } = await codec.register(topics.endpoints, loadInternalSchema('endpoint-configured')));
  await producer.connect();
  await write('ep_disabled', 'disabled');
  await write('ep_deleted', 'enabled');
  await producer.send({ topic: topics.endpoints, acks: -1, messages: [{ key: 'ep_deleted', value: null }] });
  registry = new EndpointRegistry({
    kafka,
    admin,
    topic: topics.endpoints,
    codec,
    sealer,
    name: `${prefix}-registry`,
    logger: pino({ level: 'silent' }),
    quarantine,
  });
  // Returns once the topic, as it was, has been read.
  await registry.start();
});

afterAll(async () => {
  await registry?.stop();
  await quarantine.disconnect();
  await producer.disconnect();
  await admin.disconnect();
  await cleanUp(prefix);
});

/** Writes an endpoint's configuration as the producer's outbox relay does, and returns once Kafka has it. */
async function write(endpointId: string, status: EndpointConfigured['status']): Promise<void> {
  const record: EndpointConfigured = {
    endpointId,
    tenantId: 'ten_registry',
    environment: 'sandbox',
    url: 'https://merchant.example/webhooks',
    eventTypes: ['*'],
    formatVersion: 1,
    timeoutMs: 5000,
    rateLimitPerSecond: null,
    retrySchedule: null,
    ordering: 'none',
    status,
    secrets: [{ sealed: sealer.seal(`whsec_${endpointId}`, endpointId), expiresAt: null }],
    version: Date.now(),
    updatedAt: Date.now(),
  };
  await producer.send({
    topic: topics.endpoints,
    acks: -1,
    messages: [{ key: endpointId, value: await codec.encode(schemaId, record) }],
  });
}

describe('the endpoint to send to', () => {
  it('is one written a moment ago, though not read yet', async () => {
    await write('ep_new', 'enabled');
    const endpoint = await registry.current('ep_new');
    expect(endpoint?.config).toMatchObject({ endpointId: 'ep_new', status: 'enabled' });
    expect(endpoint?.secrets.map((secret) => secret.secret)).toEqual(['whsec_ep_new']);
  });

  it('is enabled when enabled a moment ago, though read as disabled until then', async () => {
    expect(registry.get('ep_disabled')?.config.status).toBe('disabled');
    await write('ep_disabled', 'enabled');
    expect((await registry.current('ep_disabled'))?.config.status).toBe('enabled');
  });

  // One read as enabled is taken as it is: disabled a moment ago, it may get one more attempt.
  it('is disabled when written disabled, and none once deleted', async () => {
    await write('ep_paused', 'disabled');
    expect((await registry.current('ep_paused'))?.config.status).toBe('disabled');
    expect(await registry.current('ep_deleted')).toBeUndefined();
    expect(await registry.current('ep_never_written')).toBeUndefined();
  });
});
