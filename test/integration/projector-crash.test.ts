// The projector killed inside a batch's Postgres transaction: after the restart every count is exact,
// because rows and offsets commit together (a replayed batch is skipped, never added twice).
import { deliveryIdFor } from '@hookstream/delivery';
import { Client } from 'pg';
import { launchProducer, startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { publishDirectly } from '../support/direct-publish';
import { TestReceiver } from '../support/receiver';
import { stackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

const prefix = uniqueName('it-projector');
const EVENTS = 20;

describe('projector crash inside a transaction', () => {
  const receiver = new TestReceiver();
  const running: RunningApp[] = [];
  let api: ApiCall;

  afterAll(async () => {
    await Promise.all(running.map((app) => app.stop()));
    await receiver.close();
    await cleanUp(prefix, api?.tenantIds);
  });

  it('leaves the projections exact after the restart', async () => {
    const receiverUrl = await receiver.listen();
    const setup = await startProducer(prefix);
    api = apiClient(setup.baseUrl);
    const tenant = await api<{ id: string; keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'projector crash' },
    });
    const key = tenant.body.keys.sandbox;
    const endpoint = await api<{ id: string }>('POST', '/v1/endpoints', {
      key,
      body: { url: `${receiverUrl}/ok`, eventTypes: ['*'] },
    });
    expect(await setup.app.stop()).toBe(0);

    running.push(await startDispatcher(prefix));
    const eventIds = await publishDirectly(prefix, tenant.body.id, EVENTS);
    const doomed = await launchProducer(prefix, { HOOKSTREAM_TEST_CRASH_PROJECTOR: '1' });
    running.push(doomed.app);
    expect(await doomed.app.exited()).toBe('SIGKILL');

    const restarted = await startProducer(prefix);
    running.push(restarted.app);
    const live = apiClient(restarted.baseUrl);
    await waitFor(
      'every delivery projected as succeeded',
      async () => {
        const page = await live<{ data: { id: string }[] }>(
          'GET',
          `/v1/deliveries?status=succeeded&endpointId=${endpoint.body.id}&limit=100`,
          { key },
        );
        return page.body.data.length === EVENTS;
      },
      { timeoutMs: 90_000 },
    );

    const pg = new Client({ connectionString: stackEnv.databaseUrl });
    await pg.connect();
    try {
      const count = async (sql: string) =>
        Number((await pg.query<{ n: string }>(sql, [tenant.body.id, endpoint.body.id])).rows[0]?.n);
      expect(await count('SELECT count(*) AS n FROM deliveries WHERE tenant_id = $1 AND endpoint_id = $2')).toBe(
        EVENTS,
      );
      expect(
        await count(
          'SELECT count(*) AS n FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.tenant_id = $1 AND d.endpoint_id = $2',
        ),
      ).toBe(EVENTS);
      expect(
        await count(
          'SELECT coalesce(sum(successes), 0) AS n FROM endpoint_attempts_hourly WHERE $1::text IS NOT NULL AND endpoint_id = $2',
        ),
      ).toBe(EVENTS);
      expect(await count('SELECT count(*) AS n FROM events WHERE tenant_id = $1 AND $2::text IS NOT NULL')).toBe(
        EVENTS,
      );
      const ids = (
        await pg.query<{ id: string }>('SELECT id FROM deliveries WHERE tenant_id = $1', [tenant.body.id])
      ).rows.map((row) => row.id);
      expect(ids.sort()).toEqual(eventIds.map((eventId) => deliveryIdFor(eventId, endpoint.body.id)).sort());
    } finally {
      await pg.end();
    }
    // Every delivery reached the receiver at least once.
    expect(new Set(receiver.on('/ok').map((webhook) => webhook.headers['webhook-id'])).size).toBe(EVENTS);
  });
});
