// Replay from the log (POST /v1/endpoints/:id/replay): the subscription match run again over a range of
// hookstream.events, for one endpoint. A new endpoint is backfilled with exactly the range's matching
// events, a second replay adds nothing, and a disabled endpoint gets back what it missed.
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { TestReceiver } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface ReplayAnswer {
  jobId?: string;
  matched: number;
  alreadyDelivered: number;
  toSchedule: number;
  sample?: { eventId: string; type: string; alreadyDelivered: boolean }[];
}
interface ReplayJob {
  id: string;
  status: string;
  matched: number;
  toSchedule: number;
  scheduled: number;
}

const prefix = uniqueName('it-replay');
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let api: ApiCall;
let key: string;
let otherKey: string;
let receiverUrl: string;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const publish = async (apiKey: string, type: string, transactionId: string) => {
  const response = await api<{ id: string }>('POST', '/v1/events', {
    key: apiKey,
    body: {
      type,
      data: samplePayin({ transactionId, status: type === 'payout.updated' ? 'processing' : 'succeeded' }),
    },
  });
  expect(response.status).toBe(202);
  return response.body.id;
};
const createEndpoint = async (path: string, eventTypes: string[]) => {
  const response = await api<{ id: string }>('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}${path}`, eventTypes },
  });
  expect(response.status).toBe(201);
  return response.body.id;
};
const replay = (endpointId: string, body: Record<string, unknown>, apiKey = key) =>
  api<ReplayAnswer & { error?: { code: string; details: { field?: string }[] } }>(
    'POST',
    `/v1/endpoints/${endpointId}/replay`,
    { key: apiKey, body },
  );
/** The event ids a path received, one per webhook-id; fails on a second arrival of one webhook-id. */
const receivedEvents = (path: string) => {
  const webhooks = receiver.on(path);
  const webhookIds = webhooks.map((webhook) => webhook.headers['webhook-id']);
  expect(new Set(webhookIds).size).toBe(webhookIds.length);
  return webhooks.map((webhook) => (JSON.parse(webhook.body) as { id: string }).id).sort();
};
/**
 * Waits until the fan-out has handled these events: the witness endpoint, subscribed to every type since
 * before them, got each one. The fan-out matches against the endpoints as they are when it gets to an
 * event, so an endpoint created or enabled before that would be sent it without any replay.
 */
const fannedOut = (eventIds: readonly string[]) =>
  waitFor('the fan-out to handle the events', () => {
    const witnessed = new Set(
      receiver.on('/witness').map((webhook) => (JSON.parse(webhook.body) as { id: string }).id),
    );
    return eventIds.every((id) => witnessed.has(id));
  });
const finished = (jobId: string) =>
  waitFor(`replay ${jobId} to finish`, async () => {
    const job = await api<ReplayJob>('GET', `/v1/replays/${jobId}`, { key });
    return job.body.status === 'succeeded' ? job.body : undefined;
  });

beforeAll(async () => {
  receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix);
  running.push(producer.app, await startDispatcher(prefix));
  api = apiClient(producer.baseUrl);
  const tenant = async (name: string) =>
    (
      await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
        key: 'dev-admin-token',
        body: { name },
      })
    ).body.keys.sandbox;
  key = await tenant('replay');
  otherKey = await tenant('replay-other');
  await createEndpoint('/witness', ['*']);
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
});

describe('replay from the log', () => {
  it('backfills a new endpoint with exactly the matching events of the range, and a second replay adds nothing', async () => {
    const before = await publish(key, 'payin.succeeded', 'txn_before');
    await sleep(50);
    const since = new Date().toISOString();
    const inRange = {
      payins: [await publish(key, 'payin.succeeded', 'txn_1'), await publish(key, 'payin.succeeded', 'txn_2')],
      payouts: [await publish(key, 'payout.updated', 'txn_3'), await publish(key, 'payout.updated', 'txn_4')],
    };
    const refund = await publish(key, 'refund.updated', 'txn_5');
    await publish(otherKey, 'payin.succeeded', 'txn_other_tenant');
    await sleep(50);
    const until = new Date().toISOString();
    await sleep(50);
    const after = await publish(key, 'payin.succeeded', 'txn_after');
    await fannedOut([before, ...inRange.payins, ...inRange.payouts, refund, after]);

    // Created after the events: the fan-out never sent it any of them.
    const endpoint = await createEndpoint('/new', ['payin.succeeded', 'payout.updated']);
    const expected = [...inRange.payins, ...inRange.payouts].sort();

    const dryRun = await replay(endpoint, { since, until, dryRun: true });
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toMatchObject({ matched: 4, alreadyDelivered: 0, toSchedule: 4 });
    expect(dryRun.body.sample?.map((event) => event.eventId).sort()).toEqual(expected);
    const payoutsOnly = await replay(endpoint, { since, until, eventTypes: ['payout.updated'], dryRun: true });
    expect(payoutsOnly.body.sample?.map((event) => event.eventId).sort()).toEqual(inRange.payouts.sort());

    const started = await replay(endpoint, { since, until });
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ jobId: expect.stringMatching(/^rpl_/), matched: 4, toSchedule: 4 });
    const job = await finished(started.body.jobId ?? '');
    expect(job).toMatchObject({ matched: 4, toSchedule: 4, scheduled: 4 });
    await waitFor('the backfilled deliveries', () => receiver.on('/new').length >= 4);
    expect(receivedEvents('/new')).toEqual(expected);

    // Once the deliveries are projected, the same range finds them all delivered.
    await waitFor('the replayed deliveries, projected', async () => {
      const listed = await api<{ data: unknown[] }>('GET', `/v1/deliveries?endpointId=${endpoint}`, { key });
      return listed.body.data.length === 4;
    });
    const again = await replay(endpoint, { since, until });
    expect(again.body).toMatchObject({ matched: 4, alreadyDelivered: 4, toSchedule: 0 });
    await finished(again.body.jobId ?? '');
    const withDelivered = await replay(endpoint, { since, until, includeDelivered: true, dryRun: true });
    expect(withDelivered.body).toMatchObject({ matched: 4, alreadyDelivered: 4, toSchedule: 4 });
    await sleep(500);
    expect(receivedEvents('/new')).toEqual(expected);

    const listed = await api<{ data: ReplayJob[] }>('GET', `/v1/endpoints/${endpoint}/replays`, { key });
    expect(listed.body.data.map((entry) => entry.id)).toEqual([again.body.jobId, started.body.jobId]);
  });

  it("restores a disabled endpoint's missed events, and only those", async () => {
    const endpoint = await createEndpoint('/was-disabled', ['payin.succeeded']);
    const since = new Date().toISOString();
    const before = await publish(key, 'payin.succeeded', 'txn_delivered');
    await waitFor('the first delivery', () => receiver.on('/was-disabled').length === 1);
    await waitFor('the first delivery, projected', async () => {
      const listed = await api<{ data: unknown[] }>('GET', `/v1/deliveries?endpointId=${endpoint}`, { key });
      return listed.body.data.length === 1;
    });

    expect((await api('PATCH', `/v1/endpoints/${endpoint}`, { key, body: { status: 'disabled' } })).status).toBe(200);
    const refused = await replay(endpoint, { since });
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('endpoint_unavailable');
    const missed = [
      await publish(key, 'payin.succeeded', 'txn_missed_1'),
      await publish(key, 'payin.succeeded', 'txn_missed_2'),
    ];
    await fannedOut(missed);
    expect((await api('PATCH', `/v1/endpoints/${endpoint}`, { key, body: { status: 'enabled' } })).status).toBe(200);

    const started = await replay(endpoint, { since });
    expect(started.body).toMatchObject({ matched: 3, alreadyDelivered: 1, toSchedule: 2 });
    await finished(started.body.jobId ?? '');
    await waitFor('the missed deliveries', () => receiver.on('/was-disabled').length >= 3);
    expect(receivedEvents('/was-disabled')).toEqual([before, ...missed].sort());
  });

  it('refuses a bad request with a clear error, and keeps replays to their tenant', async () => {
    const endpoint = await createEndpoint('/refusals', ['payin.succeeded']);
    const since = new Date(Date.now() - 60_000).toISOString();

    const notReceived = await replay(endpoint, { since, eventTypes: ['refund.updated'] });
    expect(notReceived.status).toBe(400);
    expect(notReceived.body.error?.details).toEqual([expect.objectContaining({ field: 'eventTypes.0' })]);
    const unknownType = await replay(endpoint, { since, eventTypes: ['no.such_type'] });
    expect(unknownType.status).toBe(400);
    const backwards = await replay(endpoint, { since, until: new Date(Date.now() - 120_000).toISOString() });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error?.details).toEqual([expect.objectContaining({ field: 'until' })]);
    expect((await replay(endpoint, { since: new Date(Date.now() + 60_000).toISOString() })).status).toBe(400);
    expect((await replay(endpoint, { since: 'yesterday' })).status).toBe(400);
    expect((await replay(endpoint, { since, extra: true })).status).toBe(400);

    expect((await replay('ep_unknown', { since })).status).toBe(404);
    expect((await replay(endpoint, { since }, otherKey)).status).toBe(404);
    const started = await replay(endpoint, { since });
    expect(started.status).toBe(202);
    expect((await api('GET', `/v1/replays/${started.body.jobId}`, { key: otherKey })).status).toBe(404);
    expect((await api('GET', `/v1/endpoints/${endpoint}/replays`, { key: otherKey })).status).toBe(404);
  });
});
