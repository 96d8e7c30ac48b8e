// A producer killed between sending a fan-out batch's records and committing its transaction: the
// restarted one fences the open transaction and yields each delivery exactly once.
import { topicNames, type DispatchRequested } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { launchProducer, startProducer, type RunningApp } from '../support/app-process';
import { apiClient } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { publishDirectly } from '../support/direct-publish';
import { uniqueName } from '../support/stack';
import { readTopic } from '../support/topic-reader';

const prefix = uniqueName('it-crash');
const topics = topicNames(prefix);
const EVENTS = 20;

describe('fan-out crash between send and commit', () => {
  const running: RunningApp[] = [];

  const tenantIds: string[] = [];

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await cleanUp(prefix, tenantIds);
  });

  it('delivers each event to each endpoint exactly once after the restart', async () => {
    // Set-up through the API, then stop: its fan-out has nothing to do yet.
    const setup = await startProducer(prefix);
    const api = apiClient(setup.baseUrl);
    const tenant = await api<{ id: string; keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'crash' },
    });
    tenantIds.push(tenant.body.id);
    const key = tenant.body.keys.sandbox;
    const endpoints: string[] = [];
    for (const name of ['a', 'b']) {
      const endpoint = await api<{ id: string }>('POST', '/v1/endpoints', {
        key,
        body: { url: `http://127.0.0.1:9/${name}`, eventTypes: ['*'] },
      });
      endpoints.push(endpoint.body.id);
    }
    expect(await setup.app.stop()).toBe(0);

    // Events straight onto the events topic, as a platform team's service would publish them.
    const eventIds = await publishDirectly(prefix, tenant.body.id, EVENTS);

    // The first fan-out batch kills the process after its records are sent, before the commit.
    const doomed = await launchProducer(prefix, { HOOKSTREAM_TEST_CRASH_FAN_OUT: '1' });
    running.push(doomed.app);
    expect(await doomed.app.exited()).toBe('SIGKILL');
    const uncommitted = await readTopic<DispatchRequested>(topics.dispatch, (records) => records.length > 0, {
      readUncommitted: true,
      settleMs: 200,
    });
    expect(uncommitted.length).toBeGreaterThan(0);

    const restarted = await startProducer(prefix);
    running.push(restarted.app);
    const expected = eventIds
      .flatMap((eventId) => endpoints.map((endpointId) => deliveryIdFor(eventId, endpointId)))
      .sort();
    const committed = await readTopic<DispatchRequested>(
      topics.dispatch,
      (records) => records.length >= expected.length,
      {
        settleMs: 3000,
      },
    );
    expect(committed.map((record) => record.value.deliveryId).sort()).toEqual(expected);
  });
});
