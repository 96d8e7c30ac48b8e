// /metrics on each app after a real delivery: the families the dashboard and alerts read.
import { RETRY_TIERS, topicNames } from '@hookstream/contracts';
import { startDispatcher, startProducer, startRetryScheduler, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { type MetricSample, samplesOf, scrape, sumOf } from '../support/metrics';
import { TestReceiver } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

const prefix = uniqueName('it-metrics');
const topics = topicNames(prefix);
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let api: ApiCall;
let key: string;
let receiverUrl: string;
let producerUrl: string;
let dispatcherUrl: string;
let retrySchedulerUrl: string;

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix);
  const dispatcher = await startDispatcher(prefix);
  const retryScheduler = await startRetryScheduler(prefix);
  running.push(producer.app, dispatcher, retryScheduler);
  producerUrl = producer.baseUrl;
  dispatcherUrl = `http://127.0.0.1:${dispatcher.port}`;
  retrySchedulerUrl = `http://127.0.0.1:${retryScheduler.port}`;
  api = apiClient(producerUrl);
  key = (
    await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'metrics' },
    })
  ).body.keys.sandbox;
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

/** Scrapes until `check` holds, returning the last scrape (consumer lag is sampled every few seconds). */
const scrapeUntil = (what: string, baseUrl: string, check: (samples: MetricSample[]) => boolean) =>
  waitFor(
    what,
    async () => {
      const samples = await scrape(baseUrl);
      return check(samples) ? samples : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );

describe('metrics', () => {
  it('exposes deliveries, latency, lag, backlog, circuits, projector lag and ingest after a delivery', async () => {
    await api('POST', '/v1/endpoints', {
      key,
      body: { url: `${receiverUrl}/ok`, eventTypes: ['payout.updated'] },
    });
    const published = await api('POST', '/v1/events', {
      key,
      body: { type: 'payout.updated', data: samplePayin({ status: 'processing' }) },
    });
    expect(published.status).toBe(202);
    const refused = await api('POST', '/v1/events', { key, body: { type: 'payout.updated', data: {} } });
    expect(refused.status).toBe(400);
    const unauthorized = await api('POST', '/v1/events', { key: 'sk_test_wrong', body: { type: 'payout.updated' } });
    expect(unauthorized.status).toBe(401);

    const dispatcher = await scrapeUntil(
      'a succeeded delivery counted',
      dispatcherUrl,
      (samples) => sumOf(samples, 'hookstream_deliveries_total', { outcome: 'succeeded' }) >= 1,
    );
    expect(sumOf(dispatcher, 'hookstream_dispatcher_attempt_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sumOf(dispatcher, 'hookstream_dispatcher_attempts_total', { outcome: 'succeeded' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(samplesOf(dispatcher, 'hookstream_dispatcher_open_circuits')).toEqual([
      expect.objectContaining({ value: 0 }),
    ]);
    const dispatcherLag = await scrapeUntil(
      'the dispatcher group lag',
      dispatcherUrl,
      (samples) =>
        samplesOf(samples, 'hookstream_consumer_lag', { group: `${prefix}-dispatcher`, topic: topics.dispatch })
          .length === 1,
    );
    expect(sumOf(dispatcherLag, 'hookstream_consumer_lag', { group: `${prefix}-dispatcher` })).toBeGreaterThanOrEqual(
      0,
    );

    const producer = await scrapeUntil(
      'ingest, lag and projector metrics',
      producerUrl,
      (samples) =>
        ['fan-out', 'projector', 'endpoint-status'].every(
          (group) => samplesOf(samples, 'hookstream_consumer_lag', { group: `${prefix}-${group}` }).length > 0,
        ) && samplesOf(samples, 'hookstream_projector_lag_records').length === 2,
    );
    expect(
      sumOf(producer, 'hookstream_events_ingested_total', { type: 'payout.updated', environment: 'sandbox' }),
    ).toBe(1);
    expect(sumOf(producer, 'hookstream_ingest_errors_total', { reason: 'validation' })).toBeGreaterThanOrEqual(1);
    expect(sumOf(producer, 'hookstream_ingest_errors_total', { reason: 'unauthorized' })).toBeGreaterThanOrEqual(1);
    expect(
      sumOf(producer, 'hookstream_http_requests_total', { method: 'POST', route: '/v1/events', status: '4xx' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      samplesOf(producer, 'hookstream_projector_lag_records')
        .map((sample) => sample.labels.topic)
        .sort(),
    ).toEqual([topics.deliveryEvents, topics.events].sort());
    // The delivery was projected: the read models are caught up with the events topic.
    const projected = await scrapeUntil(
      'the event projected',
      producerUrl,
      (samples) =>
        samplesOf(samples, 'hookstream_projector_last_projected_timestamp_seconds', { topic: topics.events }).length ===
        1,
    );
    expect(
      sumOf(projected, 'hookstream_projector_last_projected_timestamp_seconds', { topic: topics.events }),
    ).toBeGreaterThan(Date.now() / 1000 - 300);

    const retryScheduler = await scrapeUntil(
      'the retry backlog of every tier',
      retrySchedulerUrl,
      (samples) => samplesOf(samples, 'hookstream_retry_backlog').length === RETRY_TIERS.length,
    );
    expect(
      samplesOf(retryScheduler, 'hookstream_retry_backlog')
        .map((sample) => sample.labels.tier)
        .sort(),
    ).toEqual([...RETRY_TIERS].sort());
    expect(sumOf(retryScheduler, 'hookstream_retry_backlog')).toBe(0);
    expect(samplesOf(retryScheduler, 'hookstream_consumer_lag', { group: `${prefix}-retry-scheduler` })).toHaveLength(
      RETRY_TIERS.length,
    );
    expect(samplesOf(retryScheduler, 'hookstream_retry_waiting_partitions')).toHaveLength(1);
  });
});
