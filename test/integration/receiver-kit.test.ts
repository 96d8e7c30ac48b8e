import { Pool } from 'pg';
import { createWebhookHandler, PostgresDeliveryStore, type WebhookEvent } from '@hookstream/receiver';
import { sign } from '@hookstream/signing';
import { createDatabase } from '../support/database';

describe('the receiver kit on Postgres', () => {
  let database: Awaited<ReturnType<typeof createDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    database = await createDatabase('receiver_kit');
    pool = new Pool({ connectionString: database.url, max: 4 });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('creates its table and claims an id once', async () => {
    const store = new PostgresDeliveryStore(pool);
    expect(await store.claim('msg_once', 60_000)).toBe(true);
    expect(await store.claim('msg_once', 60_000)).toBe(false);
    const { rows } = await pool.query<{ webhook_id: string }>('SELECT webhook_id FROM webhook_deliveries');
    expect(rows).toEqual([{ webhook_id: 'msg_once' }]);
  });

  it('lets exactly one of concurrent duplicates claim', async () => {
    const store = new PostgresDeliveryStore(pool, { table: 'concurrent_deliveries' });
    const claims = await Promise.all(Array.from({ length: 8 }, () => store.claim('msg_race', 60_000)));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('reclaims an expired id, and purges expired rows', async () => {
    const store = new PostgresDeliveryStore(pool, { table: 'expiring_deliveries' });
    // A zero TTL expires at the claim's own now(), so the next statement finds it expired.
    expect(await store.claim('msg_expired', 0)).toBe(true);
    expect(await store.claim('msg_expired', 0)).toBe(true);
    expect(await store.claim('msg_live', 60_000)).toBe(true);
    expect(await store.purgeExpired()).toBe(1);
    expect(await store.claim('msg_live', 60_000)).toBe(false);
  });

  it('makes a released id claimable again', async () => {
    const store = new PostgresDeliveryStore(pool);
    expect(await store.claim('msg_released', 60_000)).toBe(true);
    await store.release('msg_released');
    expect(await store.claim('msg_released', 60_000)).toBe(true);
  });

  it("handles a webhook signed by the engine's signer once, across two receiver instances", async () => {
    const secret = 'whsec_' + Buffer.alloc(32, 7).toString('base64');
    const queued: WebhookEvent[] = [];
    const instance = () =>
      createWebhookHandler({
        secrets: [secret],
        store: new PostgresDeliveryStore(pool),
        enqueue: (event) => {
          queued.push(event);
        },
      });
    const body = Buffer.from(JSON.stringify({ id: 'evt_1', type: 'payin.succeeded', data: {} }));
    const headers = sign('msg_engine', Math.floor(Date.now() / 1000), body, [secret]);
    expect(await instance()({ headers, rawBody: body })).toEqual({ status: 200, body: 'ok' });
    expect(await instance()({ headers, rawBody: body })).toEqual({ status: 200, body: 'duplicate' });
    expect(queued.map((event) => event.webhookId)).toEqual(['msg_engine']);
  });
});
