// The three apps as `npm start` runs them: each starts, creates the topic catalogue (never by
// auto-create), answers /health/live, /health/ready and /metrics on its own port, and stops cleanly.
import { topicCatalogue } from '@hookstream/contracts';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { launchProducer, startApp, waitUntilReady, type AppName, type RunningApp } from '../support/app-process';
import { cleanUp } from '../support/clean-up';
import { freePort } from '../support/ports';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

describe('the apps', () => {
  const prefix = uniqueName('it-apps');
  const kafka = new Kafka({ clientId: prefix, brokers: stackEnv.kafkaBrokers, logLevel: logLevel.NOTHING });
  const catalogue = topicCatalogue(prefix, 2);
  const ports = new Map<AppName, number>();
  const running: RunningApp[] = [];
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    const [producer, dispatcher, retryScheduler, grpc] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    ports.set('producer', producer).set('dispatcher', dispatcher).set('retry-scheduler', retryScheduler);
    const env = {
      ...process.env,
      HOOKSTREAM_LOCAL: '1',
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_TOPIC_PARTITIONS: '2',
      PORT: String(producer),
      GRPC_PORT: String(grpc),
      DISPATCHER_PORT: String(dispatcher),
      RETRY_SCHEDULER_PORT: String(retryScheduler),
    };
    // One at a time: the first creates the topics, the others find them.
    for (const [name, port] of ports) {
      const app = startApp(name, env);
      running.push(app);
      await waitUntilReady(port, app);
    }
  });

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await admin.disconnect();
    await cleanUp(prefix);
  });

  it.each(['producer', 'dispatcher', 'retry-scheduler'] as const)(
    '%s answers its health and metrics routes',
    async (name) => {
      const base = `http://127.0.0.1:${ports.get(name)}`;
      const live = await fetch(`${base}/health/live`);
      expect(live.status).toBe(200);

      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { status: string; info: Record<string, { status: string }> };
      expect(body.status).toBe('ok');
      expect(body.info['kafka']?.status).toBe('up');

      const metrics = await fetch(`${base}/metrics`);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      const names = (await metrics.text())
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => line.split(/[{ ]/)[0]);
      expect(names.length).toBeGreaterThan(10);
      expect(names.filter((metric) => !metric?.startsWith('hookstream_'))).toEqual([]);
    },
  );

  // Not Postgres: while it is down, ingest still works through Kafka and its own routes answer 503.
  it('the producer also checks the registry, and not Postgres', async () => {
    const ready = await fetch(`http://127.0.0.1:${ports.get('producer')}/health/ready`);
    const body = (await ready.json()) as { info: Record<string, { status: string }> };
    expect(Object.keys(body.info).sort()).toEqual(['kafka', 'schema-registry']);
  });

  it('created every topic of the catalogue with its partitions and configs', async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: catalogue.map((spec) => spec.name) });
    expect(metadata.topics.map((topic) => [topic.name, topic.partitions.length]).sort()).toEqual(
      catalogue.map((spec) => [spec.name, spec.partitions]).sort(),
    );
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: catalogue.map((spec) => ({ type: ConfigResourceTypes.TOPIC, name: spec.name })),
    });
    for (const spec of catalogue) {
      const entries = configs.resources.find((resource) => resource.resourceName === spec.name)?.configEntries ?? [];
      const actual = Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue]));
      expect({ topic: spec.name, ...actual }).toMatchObject({ topic: spec.name, ...spec.config });
    }
  });

  it('never lets the broker auto-create a topic', async () => {
    const producer = kafka.producer({ retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(
        producer.send({ topic: `${prefix}.not-in-the-catalogue`, messages: [{ value: 'x' }], timeout: 2000 }),
      ).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(`${prefix}.not-in-the-catalogue`);
  });

  it('the producer refuses to start outside local mode without ADMIN_TOKEN', async () => {
    const app = startApp('producer', { ...process.env, HOOKSTREAM_LOCAL: '0', ADMIN_TOKEN: '' });
    expect(await app.exited()).toBe(1);
    expect(app.output()).toContain('ADMIN_TOKEN is required outside local mode');
  });

  it('stops cleanly on a SIGTERM that arrives while it is still starting its consumers', async () => {
    const { app, port } = await launchProducer(prefix, { KAFKA_TOPIC_PARTITIONS: '2' });
    await waitFor('the producer to answer', async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok, {
      timeoutMs: 60_000,
    });
    expect(await app.stop()).toBe(0);
  });

  it('each app stops cleanly on SIGTERM', async () => {
    const codes = await Promise.all(running.splice(0).map((app) => app.stop()));
    expect(codes).toEqual([0, 0, 0]);
  });
});
