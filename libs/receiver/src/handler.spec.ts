import { createHmac } from 'node:crypto';
import { MemoryDeliveryStore, type DeliveryStore } from './delivery-store';
import { createWebhookHandler, type WebhookEvent, type WebhookHandlerOptions } from './handler';

const OLD_SECRET = 'whsec_' + Buffer.alloc(32, 1).toString('base64');
const NEW_SECRET = 'whsec_' + Buffer.alloc(32, 2).toString('base64');
const NOW = 1_764_374_400;
const PAYLOAD = { id: 'evt_1', type: 'payin.succeeded', data: { transactionId: 'txn_1', amount: 1999 } };

function request(secrets: string[], { id = 'msg_1', timestamp = NOW, body = JSON.stringify(PAYLOAD) } = {}) {
  const signatures = secrets.map((secret) => {
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
  });
  const headers = {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
  return { headers, rawBody: Buffer.from(body) };
}

function handlerWith(options: Partial<WebhookHandlerOptions> = {}) {
  const queued: WebhookEvent[] = [];
  const handle = createWebhookHandler({
    secrets: [OLD_SECRET],
    store: new MemoryDeliveryStore(),
    enqueue: (event) => {
      queued.push(event);
    },
    nowSeconds: () => NOW,
    ...options,
  });
  return { handle, queued };
}

describe('createWebhookHandler', () => {
  it('answers 200 and enqueues a valid request with its parsed payload', async () => {
    const { handle, queued } = handlerWith();
    expect(await handle(request([OLD_SECRET]))).toEqual({ status: 200, body: 'ok' });
    expect(queued).toEqual([expect.objectContaining({ webhookId: 'msg_1', timestampSeconds: NOW, payload: PAYLOAD })]);
  });

  it('answers 200 to a duplicate without enqueueing it again', async () => {
    const { handle, queued } = handlerWith();
    await handle(request([OLD_SECRET]));
    expect(await handle(request([OLD_SECRET], { timestamp: NOW + 5 }))).toEqual({ status: 200, body: 'duplicate' });
    expect(queued).toHaveLength(1);
  });

  it.each([
    ['a tampered body', { ...request([OLD_SECRET]), rawBody: '{"id":"evt_2"}' }, 401, 'no-matching-signature'],
    ['an unknown secret', request([NEW_SECRET]), 401, 'no-matching-signature'],
    ['a timestamp 6 minutes old', request([OLD_SECRET], { timestamp: NOW - 360 }), 401, 'too-old'],
    ['a timestamp 6 minutes ahead', request([OLD_SECRET], { timestamp: NOW + 360 }), 401, 'too-new'],
    ['missing headers', { headers: {}, rawBody: '{}' }, 400, 'missing-headers'],
    [
      'a malformed timestamp',
      { ...request([OLD_SECRET]), headers: { ...request([OLD_SECRET]).headers, 'webhook-timestamp': 'now' } },
      400,
      'bad-timestamp',
    ],
    ['a signed body that is not JSON', request([OLD_SECRET], { body: 'not json' }), 400, 'invalid-json'],
  ])('refuses %s and enqueues nothing', async (_, input, status, body) => {
    const { handle, queued } = handlerWith();
    expect(await handle(input)).toEqual({ status, body });
    expect(queued).toEqual([]);
  });

  it('accepts either secret during a rotation, and a request signed with both', async () => {
    const { handle, queued } = handlerWith({ secrets: [NEW_SECRET, OLD_SECRET] });
    expect((await handle(request([OLD_SECRET], { id: 'msg_old' }))).status).toBe(200);
    expect((await handle(request([NEW_SECRET], { id: 'msg_new' }))).status).toBe(200);
    expect((await handle(request([NEW_SECRET, OLD_SECRET], { id: 'msg_both' }))).status).toBe(200);
    expect(queued.map((event) => event.webhookId)).toEqual(['msg_old', 'msg_new', 'msg_both']);
  });

  it('answers 200 as soon as the event is queued, while the slow work goes on', async () => {
    let finishWork = (): void => undefined;
    const workDone = new Promise<void>((resolve) => (finishWork = resolve));
    const processed: string[] = [];
    const { handle } = handlerWith({
      // The queue accepts at once; its worker does the slow part later.
      enqueue: (event) => {
        void workDone.then(() => processed.push(event.webhookId));
      },
    });
    expect(await handle(request([OLD_SECRET]))).toEqual({ status: 200, body: 'ok' });
    expect(processed).toEqual([]);
    finishWork();
    await workDone;
    await Promise.resolve();
    expect(processed).toEqual(['msg_1']);
  });

  it('answers 500 when the queue fails, and processes the retry of the same id', async () => {
    const queued: string[] = [];
    let isQueueDown = true;
    const { handle } = handlerWith({
      enqueue: async (event) => {
        if (isQueueDown) throw new Error('queue unavailable');
        queued.push(event.webhookId);
      },
    });
    expect(await handle(request([OLD_SECRET]))).toEqual({ status: 500, body: 'enqueue-failed' });
    isQueueDown = false;
    expect(await handle(request([OLD_SECRET]))).toEqual({ status: 200, body: 'ok' });
    expect(queued).toEqual(['msg_1']);
  });

  it('answers 500 when the store fails, enqueueing nothing', async () => {
    const store: DeliveryStore = {
      claim: async () => {
        throw new Error('database down');
      },
      release: async () => undefined,
    };
    const { handle, queued } = handlerWith({ store });
    expect(await handle(request([OLD_SECRET]))).toEqual({ status: 500, body: 'store-unavailable' });
    expect(queued).toEqual([]);
  });

  it('refuses to start without a usable secret', () => {
    expect(() => handlerWith({ secrets: [] })).toThrow('at least one webhook secret');
  });
});
