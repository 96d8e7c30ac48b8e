// Poison records (issue #10, item 6): garbage bytes and a value whose schema id the registry does not know,
// on every topic the apps consume, go to the quarantine topic once per consuming group with the reason;
// the consumers move on (good records after them are processed) and, restarted, never quarantine them again.
import { RETRY_TIERS, topicNames } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startDispatcher, startProducer, startRetryScheduler, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { TestReceiver } from '../support/receiver';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface Quarantined {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly reason: string;
  readonly sourceTopic: string;
  readonly group: string;
}

const prefix = uniqueName('it-poison');
const topics = topicNames(prefix);
const kafka = new Kafka({ clientId: `${prefix}-test`, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
const receiver = new TestReceiver();
const running = new Set<RunningApp>();
let api: ApiCall;
let key: string;
let receiverUrl: string;
let producerUrl: string;
let healthUrls: string[] = [];
let raw: Producer;

/** Not in the Confluent wire format at all. */
const GARBAGE = Buffer.from('{"not":"avro"}');
/** A well-formed Confluent header (magic byte 0, schema id 999999999) the registry answers 404 for. */
const UNKNOWN_SCHEMA = Buffer.from([0, 0x3b, 0x9a, 0xc9, 0xff, 0x02, 0x61]);

/** Each consumed topic and the groups that consume it (a group per compacted feed). */
const consumed: { topic: string; groups: string[] }[] = [
  { topic: topics.events, groups: [`${prefix}-fan-out`, `${prefix}-projector`] },
  { topic: topics.deliveryEvents, groups: [`${prefix}-projector`, `${prefix}-endpoint-status`] },
  { topic: topics.dispatch, groups: [`${prefix}-dispatcher`] },
  ...RETRY_TIERS.map((tier) => ({ topic: topics.retry(tier), groups: [`${prefix}-retry-scheduler`] })),
  { topic: topics.endpoints, groups: [`${prefix}-fan-out-endpoints`, `${prefix}-dispatcher-endpoints`] },
  { topic: topics.ordering, groups: [`${prefix}-sequencer`] },
];

async function startApps(): Promise<void> {
  const producer = await startProducer(prefix);
  running.add(producer.app);
  const dispatcher = await startDispatcher(prefix);
  running.add(dispatcher);
  const scheduler = await startRetryScheduler(prefix);
  running.add(scheduler);
  producerUrl = producer.baseUrl;
  healthUrls = [producer.baseUrl, `http://127.0.0.1:${dispatcher.port}`, `http://127.0.0.1:${scheduler.port}`];
}

async function stopApps(): Promise<void> {
  await Promise.all([...running].map((app) => app.stop()));
  running.clear();
}

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  await startApps();
  api = apiClient(producerUrl);
  key = (
    await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'poison' },
    })
  ).body.keys.sandbox;
  raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await raw.connect();
});

afterAll(async () => {
  await raw?.disconnect();
  await stopApps();
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

/** Every record on the quarantine topic, read raw (values are the poison's own bytes). */
async function readQuarantine(isDone: (records: Quarantined[]) => boolean, settleMs = 2000): Promise<Quarantined[]> {
  const groupId = `${prefix}-test-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  const records: Quarantined[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: topics.quarantine, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const header = (name: string) => message.headers?.[name]?.toString() ?? '';
        records.push({
          key: message.key?.toString() ?? null,
          value: message.value,
          reason: header('hookstream-reason'),
          sourceTopic: header('hookstream-source-topic'),
          group: header('hookstream-consumer-group'),
        });
      },
    });
    await waitFor('quarantined records', () => isDone(records), { timeoutMs: 60_000, intervalMs: 200 });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return [...records];
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

const poisonKey = (kind: 'garbage' | 'unknown', topic: string) => `poison-${kind}-${topic}`;

/** How many quarantine records each (source topic, group, key) has. */
function countsOf(records: readonly Quarantined[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    const id = `${record.sourceTopic} ${record.group} ${record.key}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

async function expectHealthy(): Promise<void> {
  for (const url of healthUrls) expect((await fetch(`${url}/health/ready`)).status).toBe(200);
}

async function publishEvent(): Promise<string> {
  const published = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: { type: 'payin.succeeded', data: samplePayin({ transactionId: `txn_${randomUUID()}` }) },
  });
  expect(published.status).toBe(202);
  return published.body.id;
}

async function deliverySucceeded(deliveryId: string): Promise<void> {
  let last: unknown;
  try {
    await waitFor(
      `delivery ${deliveryId} to succeed`,
      async () => {
        last = (await api<{ status: string }>('GET', `/v1/deliveries/${deliveryId}`, { key })).body;
        return (last as { status?: string }).status === 'succeeded';
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  } catch (error) {
    const outputs = [...running].map((app) => `--- ${app.name} ---\n${app.output().slice(-3000)}`).join('\n');
    throw new Error(
      `${(error as Error).message}; last: ${JSON.stringify(last)} (webhooks received: ${receiver.received.length})\n${outputs}`,
      { cause: error },
    );
  }
}

describe('poison records', () => {
  it('quarantines garbage and unknown-schema records once per consuming group, and the consumers move on', async () => {
    for (const { topic } of consumed) {
      await raw.send({
        topic,
        acks: -1,
        messages: [
          { key: poisonKey('garbage', topic), value: GARBAGE },
          { key: poisonKey('unknown', topic), value: UNKNOWN_SCHEMA },
        ],
      });
    }

    // Good records after the poison: an endpoint (endpoints topic), an event (events, ordering, dispatch,
    // delivery-events: the endpoint orders per key, so the sequencer numbers it), and a first attempt that
    // fails, so the delivery goes through the 1 s retry tier before it succeeds.
    let failed = false;
    receiver.answer('/hooks', (_request, response) => {
      response.writeHead(failed ? 200 : 500).end();
      failed = true;
    });
    const created = await api<{ id: string }>('POST', '/v1/endpoints', {
      key,
      body: {
        url: `${receiverUrl}/hooks`,
        eventTypes: ['payin.succeeded'],
        retrySchedule: ['1s'],
        ordering: 'per-key',
      },
    });
    expect(created.status).toBe(201);
    const eventId = await publishEvent();
    await deliverySucceeded(deliveryIdFor(eventId, created.body.id));
    expect(receiver.on('/hooks')).toHaveLength(2);
    // Numbered by the sequencer past the poison on the ordering topic: its first attempt and the retry.
    expect(
      receiver.on('/hooks').map((webhook) => (JSON.parse(webhook.body) as { sequence?: number }).sequence),
    ).toEqual([1, 1]);

    const expected = consumed.flatMap(({ topic, groups }) =>
      groups.flatMap((group) =>
        (['garbage', 'unknown'] as const).map((kind) => ({ topic, group, kind, key: poisonKey(kind, topic) })),
      ),
    );
    const quarantined = await readQuarantine((records) => records.length >= expected.length);
    const counts = countsOf(quarantined);
    for (const { topic, group, kind, key: poison } of expected) {
      expect([`${topic} ${group} ${poison}`, counts.get(`${topic} ${group} ${poison}`)]).toEqual([
        `${topic} ${group} ${poison}`,
        1,
      ]);
      const record = quarantined.find((r) => r.sourceTopic === topic && r.group === group && r.key === poison);
      expect(record?.reason).toMatch(kind === 'garbage' ? /^garbage bytes/ : /^unknown schema id 999999999/);
      expect(record?.value).toEqual(kind === 'garbage' ? GARBAGE : UNKNOWN_SCHEMA);
    }
    expect(quarantined).toHaveLength(expected.length);
    await expectHealthy();

    // Restarted, the groups resume past the poison: nothing on a committed topic is quarantined again.
    // (The compacted endpoints feeds commit nothing: they re-read the topic at start and set its poison aside again.)
    await stopApps();
    await startApps();
    const tenantIds = api.tenantIds;
    api = apiClient(producerUrl);
    api.tenantIds.push(...tenantIds);
    await deliverySucceeded(deliveryIdFor(await publishEvent(), created.body.id));
    await expectHealthy();
    const again = await readQuarantine((records) => records.length >= expected.length, 5000);
    const isFeed = (record: Quarantined) => record.sourceTopic === topics.endpoints;
    expect(again.filter((record) => !isFeed(record))).toHaveLength(quarantined.filter((r) => !isFeed(r)).length);
    for (const [id, count] of countsOf(again.filter((record) => !isFeed(record)))) expect([id, count]).toEqual([id, 1]);
  });
});
