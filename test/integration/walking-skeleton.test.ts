// Proves the stack with the packages we build on: a schema from schemas/ registered in the registry,
// Avro records produced by kafkajs (idempotent, and in transactions that commit and abort), consumed
// read_committed and decoded, then written to Postgres and read back.
import { loadSchemaFiles } from '@hookstream/contracts';
import { createSchemaRegistry, registerAvroSchema, SUBJECT_COMPATIBILITY } from '@hookstream/kafka';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { Client } from 'pg';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface PayinEvent {
  eventId: string;
  tenantId: string;
  environment: 'sandbox' | 'live';
  type: string;
  createdAt: number;
  data: {
    transactionId: string;
    status: string;
    amount: number;
    currency: string;
    responseCode: string;
    responseMessage: string;
    occurredAt: number;
  };
}

const payin = (eventId: string): PayinEvent => ({
  eventId,
  tenantId: 'ten_skeleton',
  environment: 'sandbox',
  type: 'payin.succeeded',
  createdAt: Date.UTC(2026, 10, 28, 12, 0, 0),
  data: {
    transactionId: `txn_${eventId}`,
    status: 'succeeded',
    amount: 12_345,
    currency: 'EUR',
    responseCode: '00',
    responseMessage: 'Approved',
    occurredAt: Date.UTC(2026, 10, 28, 11, 59, 59),
  },
});

describe('walking skeleton: registry + Kafka + Postgres', () => {
  const name = uniqueName('it-skeleton');
  const topic = `${name}.events`;
  const table = name.replaceAll('-', '_');
  const registry = createSchemaRegistry(stackEnv.registryUrl);
  const kafka = new Kafka({ clientId: name, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
  const schema = loadSchemaFiles().find((file) => file.type === 'payin.succeeded' && file.formatVersion === 1);
  const pg = new Client({ connectionString: stackEnv.databaseUrl });
  let admin: Admin;
  let producer: Producer;
  let transactional: Producer;
  let consumer: Consumer;
  let subject: string | undefined;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, replicationFactor: 1 }] });
    await pg.connect();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await transactional?.disconnect();
    await admin.deleteGroups([`${name}-group`]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    if (subject) {
      for (const query of ['', '?permanent=true']) {
        await fetch(`${stackEnv.registryUrl}/subjects/${encodeURIComponent(subject)}${query}`, { method: 'DELETE' });
      }
    }
    await pg.query(`DROP TABLE IF EXISTS ${table}`);
    await pg.end();
  });

  it('registers, produces, consumes read_committed, and stores', async () => {
    if (!schema) throw new Error('schemas/payin.succeeded/v1.avsc is missing');

    // Register twice: the second call goes through the subject's compatibility check and is a no-op.
    const first = await registerAvroSchema(registry, topic, schema.schema);
    subject = first.subject;
    const second = await registerAvroSchema(registry, topic, schema.schema);
    expect(second.id).toBe(first.id);
    const config = await fetch(`${stackEnv.registryUrl}/config/${encodeURIComponent(first.subject)}`);
    expect(await config.json()).toEqual({ compatibilityLevel: SUBJECT_COMPATIBILITY });

    const encode = (event: PayinEvent) => registry.encode(first.id, event);

    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: 'evt_plain', value: await encode(payin('evt_plain')) }] });

    transactional = kafka.producer({ transactionalId: `${name}-tx`, idempotent: true, maxInFlightRequests: 1 });
    await transactional.connect();
    const committed = await transactional.transaction();
    await committed.send({ topic, messages: [{ key: 'evt_committed', value: await encode(payin('evt_committed')) }] });
    await committed.commit();
    const aborted = await transactional.transaction();
    await aborted.send({ topic, messages: [{ key: 'evt_aborted', value: await encode(payin('evt_aborted')) }] });
    await aborted.abort();
    // A record after the aborted one: once it arrives, the aborted one has been passed over.
    const last = await transactional.transaction();
    await last.send({ topic, messages: [{ key: 'evt_last', value: await encode(payin('evt_last')) }] });
    await last.commit();

    const received: PayinEvent[] = [];
    consumer = kafka.consumer({ groupId: `${name}-group`, readUncommitted: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.value) received.push((await registry.decode(message.value)) as PayinEvent);
      },
    });
    await waitFor('the last committed record', () => received.some((event) => event.eventId === 'evt_last'), {
      timeoutMs: 60_000,
    });

    expect(received.map((event) => event.eventId)).toEqual(['evt_plain', 'evt_committed', 'evt_last']);
    expect(received[0]).toEqual(payin('evt_plain'));
    // Four records and the aborted transaction's marker: the aborted record is in the log, just never read.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(Number(offsets[0]?.high)).toBeGreaterThanOrEqual(4);

    await pg.query(
      `CREATE TABLE ${table} (event_id text PRIMARY KEY, tenant_id text NOT NULL, payload jsonb NOT NULL)`,
    );
    for (const event of received) {
      await pg.query(`INSERT INTO ${table} (event_id, tenant_id, payload) VALUES ($1, $2, $3)`, [
        event.eventId,
        event.tenantId,
        JSON.stringify(event),
      ]);
    }
    const rows = await pg.query<{ event_id: string; payload: PayinEvent }>(
      `SELECT event_id, payload FROM ${table} ORDER BY event_id`,
    );
    expect(rows.rows.map((row) => row.event_id)).toEqual(['evt_committed', 'evt_last', 'evt_plain']);
    expect(rows.rows.find((row) => row.event_id === 'evt_plain')?.payload).toEqual(payin('evt_plain'));
  });

  it('writes values in the Confluent wire format: magic byte 0, then the 4-byte schema id', async () => {
    if (!schema) throw new Error('schemas/payin.succeeded/v1.avsc is missing');
    const { id } = await registerAvroSchema(registry, topic, schema.schema);
    const bytes = await registry.encode(id, payin('evt_wire'));
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);
  });
});
