// The producer's outbox relay publishes the endpoint changes of its own endpoints topic, and only those: a
// database shared with another deployment (another topic prefix, whose topic may be gone) holds theirs too,
// and one entry it could never publish would hold every change behind it.
import { loadInternalSchema, topicCatalogue, topicNames } from '@hookstream/contracts';
import { AvroCodec, createSchemaRegistry, ensureTopics, Publisher } from '@hookstream/kafka';
import { createPool, migrate, type Pool } from '@hookstream/postgres';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { OutboxRelay } from '../../apps/producer/src/endpoints/outbox-relay';
import { cleanUp } from '../support/clean-up';
import { createDatabase } from '../support/database';
import { stackEnv, uniqueName } from '../support/stack';

const prefix = uniqueName('it-outbox-relay');
const topics = topicNames(prefix);
/** Another deployment's endpoints topic, deleted since (or never made on this broker). */
const foreignTopic = `${uniqueName('it-outbox-gone')}.endpoints`;
const logger = pino({ level: 'silent' });
const kafka = new Kafka({ clientId: prefix, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const codec = new AvroCodec(createSchemaRegistry(stackEnv.registryUrl));
const publisher = new Publisher(kafka, { timeoutMs: 5_000 });

beforeAll(async () => {
  await Promise.all([admin.connect(), publisher.connect()]);
  await ensureTopics(
    admin,
    topicCatalogue(prefix, 1).filter((spec) => spec.name === topics.endpoints),
  );
});

afterAll(async () => {
  await Promise.all([admin.disconnect(), publisher.disconnect()]);
  await cleanUp(prefix);
});

/** A scratch database with one tenant's endpoints of these ids, so that no producer's relay publishes its outbox. */
async function databaseWithEndpoints(name: string, endpointIds: readonly string[]) {
  const scratch = await createDatabase(name);
  const db = createPool(scratch.url, logger, 4);
  await migrate(db, logger);
  await db.query(`INSERT INTO tenants (id, name) VALUES ('ten_outbox', 'outbox')`);
  await db.query(
    `INSERT INTO endpoints (id, tenant_id, environment, url, event_types, format_version, timeout_ms, sealed_secret)
     SELECT id, 'ten_outbox', 'sandbox', 'https://' || id || '.example', '{payin.succeeded}', 1, 5000, '\\x00'
       FROM unnest($1::text[]) AS id`,
    [endpointIds],
  );
  return { db, drop: () => scratch.drop() };
}

/** An endpoint change waiting in the outbox for the relay of `topic`, as the API writes one. */
const queueChange = (db: Pool, topic: string, endpointId: string) =>
  db.query('INSERT INTO outbox (topic, key, endpoint_id) VALUES ($1, $2, $2)', [topic, endpointId]);

it("publishes its own topic's entries and leaves another deployment's alone, and nothing once stopped", async () => {
  const { db, drop } = await databaseWithEndpoints('it_outbox_relay', ['ep_foreign', 'ep_own', 'ep_late']);
  try {
    // The foreign entry comes first: a relay that took it would be held by it.
    await queueChange(db, foreignTopic, 'ep_foreign');
    await queueChange(db, topics.endpoints, 'ep_own');
    const schema = await codec.register(topics.endpoints, loadInternalSchema('endpoint-configured'));
    const relay = new OutboxRelay(db, topics.endpoints, publisher, codec, schema, logger);
    const unpublished = async () =>
      (
        await db.query<{ endpoint_id: string }>('SELECT endpoint_id FROM outbox WHERE published_at IS NULL ORDER BY id')
      ).rows.map((row) => row.endpoint_id);

    // start() flushes once before it returns.
    await relay.start();
    expect(await unpublished()).toEqual(['ep_foreign']);
    const [end] = await admin.fetchTopicOffsets(topics.endpoints);
    expect(end?.high).toBe('1');

    await relay.stop();
    await queueChange(db, topics.endpoints, 'ep_late');
    await relay.flush();
    expect(await unpublished()).toEqual(['ep_foreign', 'ep_late']);
  } finally {
    await db.end();
    await drop();
  }
});

it('gives its connection back when stopped during a publish that fails, so that the pool can end', async () => {
  const { db, drop } = await databaseWithEndpoints('it_outbox_relay_stop', ['ep_own']);
  try {
    // A topic this broker does not have: the publish waits out its timeout, then fails.
    const missingTopic = `${prefix}.missing`;
    await queueChange(db, missingTopic, 'ep_own');
    const schema = await codec.register(topics.endpoints, loadInternalSchema('endpoint-configured'));
    const impatient = new Publisher(kafka, { timeoutMs: 1_000 });
    await impatient.connect();
    try {
      const relay = new OutboxRelay(db, missingTopic, impatient, codec, schema, logger);
      const starting = relay.start();
      starting.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await relay.stop();
      await expect(starting).rejects.toThrow('did not acknowledge');
      await db.end();
    } finally {
      await impatient.disconnect();
    }
  } finally {
    await drop();
  }
});
