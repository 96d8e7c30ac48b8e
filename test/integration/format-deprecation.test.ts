// Format-version deprecation with advance notice: a deprecation in the catalogue file shows on
// GET /v1/event-types, and every endpoint pinned to that version that receives the type gets one signed
// hookstream.format_deprecated webhook, whatever the number of sweeps.
import { type FormatDeprecation, loadSchemaFiles } from '@hookstream/contracts';
import { deliveryIdFor } from '@hookstream/delivery';
import { createPool, migrate } from '@hookstream/postgres';
import { verify } from '@hookstream/signing';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FormatDeprecationNotices } from '../../apps/producer/src/event-types/format-deprecation-notices';
import { launchProducer, startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { createDatabase } from '../support/database';
import { TestReceiver, type ReceivedWebhook } from '../support/receiver';
import { uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

interface EventTypeView {
  type: string;
  versions: { version: number; deprecated: boolean; sunsetAt: string | null; replacement?: number | null }[];
}

interface Notice {
  id: string;
  type: string;
  timestamp: string;
  formatVersion: number;
  data: Record<string, unknown>;
}

const NOTICE_TYPE = 'hookstream.format_deprecated';
const SUNSET_AT = '2027-03-31T00:00:00.000Z';
const NOTE = 'v1 is retired at the end of March 2027';
// The newest payout.updated version, when there is one after v1; otherwise the deprecation names none.
const newestPayoutVersion = Math.max(
  ...loadSchemaFiles()
    .filter((file) => file.type === 'payout.updated')
    .map((file) => file.formatVersion),
);
const replacement = newestPayoutVersion > 1 ? newestPayoutVersion : null;

const prefix = uniqueName('it-deprecation');
const receiver = new TestReceiver();
const running: RunningApp[] = [];
const fileDir = mkdtempSync(join(tmpdir(), 'deprecations-'));
let database: Awaited<ReturnType<typeof createDatabase>>;
let api: ApiCall;
let producerUrl: string;
let receiverUrl: string;
let key: string;

beforeAll(async () => {
  const file = join(fileDir, 'deprecations.json');
  writeFileSync(
    file,
    JSON.stringify({
      deprecations: [
        { type: 'payout.updated', version: 1, sunsetAt: '2027-03-31T02:00:00+02:00', replacement, note: NOTE },
      ],
    }),
  );
  // A database of its own: a sweep reads every endpoint, and must neither notify nor mark other tests' endpoints.
  database = await createDatabase('it_deprecation');
  receiverUrl = await receiver.listen();
  const producer = await startProducer(prefix, {
    DATABASE_URL: database.url,
    FORMAT_DEPRECATIONS_FILE: file,
    FORMAT_DEPRECATION_SWEEP_INTERVAL: '500ms',
  });
  producerUrl = producer.baseUrl;
  running.push(producer.app, await startDispatcher(prefix));
  api = apiClient(producer.baseUrl);
  const tenant = await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name: 'deprecation' },
  });
  expect(tenant.status).toBe(201);
  key = tenant.body.keys.sandbox;
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await cleanUp(prefix, api?.tenantIds);
  await database?.drop();
  rmSync(fileDir, { recursive: true, force: true });
});

async function createEndpoint(path: string, eventTypes: string[], formatVersion = 1) {
  const response = await api<{ id: string; secret: string }>('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}${path}`, eventTypes, formatVersion },
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function patchEndpoint(id: string, body: Record<string, unknown>) {
  expect((await api('PATCH', `/v1/endpoints/${id}`, { key, body })).status).toBe(200);
}

const notices = (path: string) =>
  receiver.on(path).filter((webhook) => (JSON.parse(webhook.body) as Notice).type === NOTICE_TYPE);

/** Sweeps the producer has completed so far (its /metrics): a probe for "a few more sweeps happened". */
async function completedSweeps(): Promise<number> {
  const text = await (await fetch(`${producerUrl}/metrics`)).text();
  const match = /^hookstream_format_deprecation_sweeps_total\{[^}]*outcome="completed"[^}]*\} (\d+)$/m.exec(text);
  return Number(match?.[1] ?? 0);
}

async function waitForMoreSweeps(count: number): Promise<void> {
  const from = await completedSweeps();
  await waitFor(`${count} more deprecation sweeps`, async () => (await completedSweeps()) >= from + count, {
    timeoutMs: 20_000,
  });
}

function expectSignedNotice(webhook: ReceivedWebhook, endpoint: { id: string; secret: string }): Notice {
  const headers = Object.fromEntries(
    ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => [name, String(webhook.headers[name])]),
  );
  expect(verify(headers, Buffer.from(webhook.body), [endpoint.secret])).toEqual({ ok: true });
  const notice = JSON.parse(webhook.body) as Notice;
  expect(notice).toEqual({
    id: expect.stringMatching(/^evt_[0-9a-z]{26}$/),
    type: NOTICE_TYPE,
    timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    formatVersion: 1,
    data: {
      eventType: 'payout.updated',
      formatVersion: 1,
      sunsetAt: SUNSET_AT,
      replacementVersion: replacement,
      note: NOTE,
    },
  });
  expect(webhook.headers['webhook-id']).toBe(deliveryIdFor(notice.id, endpoint.id));
  return notice;
}

describe('format-version deprecation', () => {
  it('shows the deprecation on GET /v1/event-types, and not the system type', async () => {
    const response = await api<{ data: EventTypeView[] }>('GET', '/v1/event-types', { key });
    expect(response.status).toBe(200);
    const payout = response.body.data.find((type) => type.type === 'payout.updated');
    expect(payout?.versions[0]).toMatchObject({
      version: 1,
      deprecated: true,
      sunsetAt: SUNSET_AT,
      replacement,
      note: NOTE,
    });
    for (const version of payout?.versions.slice(1) ?? []) {
      expect(version).toMatchObject({ deprecated: false, sunsetAt: null });
      expect(version).not.toHaveProperty('replacement');
    }
    expect(response.body.data.find((type) => type.type === 'payin.succeeded')?.versions[0]).toMatchObject({
      deprecated: false,
      sunsetAt: null,
    });
    expect(response.body.data.map((type) => type.type)).not.toContain(NOTICE_TYPE);
  });

  it('sends one signed notice to each endpoint pinned to the version that receives the type, however many sweeps', async () => {
    const wildcard = await createEndpoint('/wildcard', ['*']);
    const named = await createEndpoint('/named', ['payin.succeeded', 'payout.updated']);
    const otherTypes = await createEndpoint('/other-types', ['payin.succeeded', 'refund.updated']);
    // On the replacement already, where there is one: nothing to move away from.
    const onReplacement =
      replacement === null ? undefined : await createEndpoint('/on-replacement', ['payout.updated'], replacement);

    const pinned = await api<{ data: { id: string }[] }>('GET', '/v1/endpoints?formatVersion=1', { key });
    expect(pinned.body.data.map((endpoint) => endpoint.id).sort()).toEqual(
      [wildcard.id, named.id, otherTypes.id].sort(),
    );

    await waitFor('a notice at both subscribed endpoints', () =>
      notices('/wildcard').length > 0 && notices('/named').length > 0 ? true : undefined,
    );
    const toWildcard = expectSignedNotice(notices('/wildcard')[0] as ReceivedWebhook, wildcard);
    const toNamed = expectSignedNotice(notices('/named')[0] as ReceivedWebhook, named);
    expect(toWildcard.id).not.toBe(toNamed.id);

    // Later sweeps find them notified: still one each, and none where the type is not received.
    await waitForMoreSweeps(3);
    expect(notices('/wildcard')).toHaveLength(1);
    expect(notices('/named')).toHaveLength(1);
    expect(receiver.on('/other-types')).toHaveLength(0);
    if (onReplacement) expect(receiver.on('/on-replacement')).toHaveLength(0);

    // The notice is a delivery like any other, on the endpoint's delivery list.
    const delivery = await waitFor('the notice among the delivered', async () => {
      const list = await api<{ data: Record<string, unknown>[] }>('GET', `/v1/deliveries?endpointId=${wildcard.id}`, {
        key,
      });
      return list.body.data.find((row) => row['eventType'] === NOTICE_TYPE && row['status'] === 'succeeded');
    });
    expect(delivery).toMatchObject({
      id: deliveryIdFor(toWildcard.id, wildcard.id),
      eventId: toWildcard.id,
      endpointId: wildcard.id,
      formatVersion: 1,
      attemptCount: 1,
    });
  });

  it('tells a disabled endpoint once it is enabled again, and only then', async () => {
    const paused = await createEndpoint('/paused', ['payin.failed']);
    await patchEndpoint(paused.id, { status: 'disabled' });
    await patchEndpoint(paused.id, { eventTypes: ['payout.updated'] });
    await waitForMoreSweeps(2);
    expect(receiver.on('/paused')).toHaveLength(0);

    await patchEndpoint(paused.id, { status: 'enabled' });
    await waitFor('the notice at the re-enabled endpoint', () => notices('/paused').length > 0);
    expectSignedNotice(notices('/paused')[0] as ReceivedWebhook, paused);
    await waitForMoreSweeps(3);
    expect(notices('/paused')).toHaveLength(1);
  });

  it('refuses a merchant publishing or subscribing to the system type', async () => {
    const published = await api<{ error: { code: string; details: { field?: string }[] } }>('POST', '/v1/events', {
      key,
      body: {
        type: NOTICE_TYPE,
        data: { eventType: 'payout.updated', formatVersion: 1, sunsetAt: SUNSET_AT },
      },
    });
    expect(published.status).toBe(400);
    expect(published.body.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'type' }] });

    const subscribed = await api<{ error: { code: string; details: { field?: string }[] } }>('POST', '/v1/endpoints', {
      key,
      body: { url: `${receiverUrl}/system`, eventTypes: [NOTICE_TYPE] },
    });
    expect(subscribed.status).toBe(400);
    expect(subscribed.body.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'eventTypes' }] });
  });

  it('refuses to start with a deprecation that names a missing version, saying which entry', async () => {
    const bad = join(fileDir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ deprecations: [{ type: 'payout.updated', version: 99, sunsetAt: '2027-03-31T00:00:00Z' }] }),
    );
    const { app } = await launchProducer(`${prefix}-bad`, {
      DATABASE_URL: database.url,
      FORMAT_DEPRECATIONS_FILE: bad,
    });
    running.push(app);
    expect(await app.exited()).toBe(1);
    expect(app.output()).toContain('FORMAT_DEPRECATIONS_FILE');
    expect(app.output()).toContain('deprecations[0] (payout.updated v99): version 99 is not a format version');
  });
});

describe('endpoints awaiting a notice', () => {
  const deprecation: FormatDeprecation = {
    type: 'payout.updated',
    version: 1,
    sunsetAt: SUNSET_AT,
    replacement: null,
    note: null,
  };

  it('leaves out an endpoint whose last change is not on the endpoints topic yet, until it is', async () => {
    // No producer on this database: nothing publishes the outbox but the test.
    const scratch = await createDatabase('it_deprecation_outbox');
    const db = createPool(scratch.url, pino({ level: 'silent' }), 2);
    try {
      await migrate(db, pino({ level: 'silent' }));
      await db.query(`INSERT INTO tenants (id, name) VALUES ('ten_outbox', 'outbox')`);
      await db.query(
        `INSERT INTO endpoints (id, tenant_id, environment, url, event_types, format_version, timeout_ms, sealed_secret)
         VALUES ('ep_published', 'ten_outbox', 'sandbox', 'https://a.example', '{payout.updated}', 1, 5000, '\\x00'),
                ('ep_pending', 'ten_outbox', 'sandbox', 'https://b.example', '{payout.updated}', 1, 5000, '\\x00')`,
      );
      await db.query(
        `INSERT INTO outbox (topic, key, endpoint_id, published_at)
         VALUES ('t', 'ep_published', 'ep_published', now()), ('t', 'ep_pending', 'ep_pending', now()),
                ('t', 'ep_pending', 'ep_pending', NULL)`,
      );
      const notices = new FormatDeprecationNotices(db);
      const awaiting = async () =>
        (await notices.awaitingNotice(deprecation, { isOptIn: false, limit: 10 })).map((endpoint) => endpoint.id);

      expect(await awaiting()).toEqual(['ep_published']);
      await db.query('UPDATE outbox SET published_at = now() WHERE published_at IS NULL');
      expect(await awaiting()).toEqual(['ep_pending', 'ep_published']);
    } finally {
      await db.end();
      await scratch.drop();
    }
  });
});
