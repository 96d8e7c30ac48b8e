// A burst for one endpoint, waiting when the producer starts: a fetched batch of thousands of events once
// became one transaction whose dispatch records, all on the endpoint's partition, were over the broker's
// batch limit, and the fan-out crash-looped on it. Each delivery must come out once.
import { topicNames, type DispatchRequested } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { startProducer, type RunningApp } from '../support/app-process';
import { apiClient } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { publishDirectly } from '../support/direct-publish';
import { uniqueName } from '../support/stack';
import { readTopic } from '../support/topic-reader';

const prefix = uniqueName('it-burst');
const topics = topicNames(prefix);
/** Two sends of 2 500 (each well under a request's limit); the dispatch records of 5 000 are about 1.7 MB. */
const EVENTS_PER_SEND = 2500;

describe('fan-out of a burst', () => {
  const running: RunningApp[] = [];
  const tenantIds: string[] = [];

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await cleanUp(prefix, tenantIds);
  });

  it('turns thousands of waiting events for one endpoint into one dispatch each', async () => {
    const setup = await startProducer(prefix);
    running.push(setup.app);
    const api = apiClient(setup.baseUrl);
    const tenant = await api<{ id: string; keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'burst' },
    });
    tenantIds.push(tenant.body.id);
    const endpoint = await api<{ id: string }>('POST', '/v1/endpoints', {
      key: tenant.body.keys.sandbox,
      body: { url: 'http://127.0.0.1:9/burst', eventTypes: ['*'] },
    });
    expect(await setup.app.stop()).toBe(0);

    // All waiting on one partition (keyed by tenant), so the restarted fan-out fetches them in large batches.
    const eventIds = [
      ...(await publishDirectly(prefix, tenant.body.id, EVENTS_PER_SEND)),
      ...(await publishDirectly(prefix, tenant.body.id, EVENTS_PER_SEND)),
    ];
    const restarted = await startProducer(prefix);
    running.push(restarted.app);

    const expected = eventIds.map((eventId) => deliveryIdFor(eventId, endpoint.body.id)).sort();
    const dispatched = await readTopic<DispatchRequested>(
      topics.dispatch,
      (records) => records.length >= expected.length,
      { settleMs: 2000, timeoutMs: 90_000 },
    );
    expect(dispatched.map((record) => record.value.deliveryId).sort()).toEqual(expected);
  }, 180_000);
});
