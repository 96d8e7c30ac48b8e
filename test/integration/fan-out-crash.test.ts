// A producer killed between publishing a fan-out slice's records and committing its offset: the restarted
// one fans those events out again. No delivery is lost, and the copies are one delivery each (same id).
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

describe('fan-out crash between publish and commit', () => {
  const running: RunningApp[] = [];

  const tenantIds: string[] = [];

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await cleanUp(prefix, tenantIds);
  });

  it('yields every delivery after the restart, each once by its id', async () => {
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

    // The first fan-out slice kills the process after its records are acknowledged, before its offset is committed.
    const doomed = await launchProducer(prefix, { HOOKSTREAM_TEST_CRASH_FAN_OUT: '1' });
    running.push(doomed.app);
    expect(await doomed.app.exited()).toBe('SIGKILL');
    const beforeRestart = await readTopic<DispatchRequested>(topics.dispatch, (records) => records.length > 0, {
      settleMs: 200,
    });
    expect(beforeRestart.length).toBeGreaterThan(0);

    const restarted = await startProducer(prefix);
    running.push(restarted.app);
    const expected = eventIds
      .flatMap((eventId) => endpoints.map((endpointId) => deliveryIdFor(eventId, endpointId)))
      .sort();
    const distinctIds = (records: readonly { value: DispatchRequested }[]) =>
      [...new Set(records.map((record) => record.value.deliveryId))].sort();
    // Nothing was committed before the kill: the restarted producer fans every event out again, and only
    // what the killed one had published comes twice.
    const afterRestart = await readTopic<DispatchRequested>(
      topics.dispatch,
      (records) => records.length >= expected.length + beforeRestart.length,
      { settleMs: 3000 },
    );
    expect(afterRestart.length).toBe(expected.length + beforeRestart.length);
    expect(distinctIds(afterRestart)).toEqual(expected);

    // The copies are one delivery each: the status API lists each delivery once.
    let listed: string[] = [];
    for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
      const page = await apiClient(restarted.baseUrl)<{ data: { id: string }[] }>('GET', '/v1/deliveries?limit=100', {
        key,
      });
      listed = page.body.data.map((delivery) => delivery.id).sort();
      if (listed.length >= expected.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(listed).toEqual(expected);
  });
});
