import { MemoryDeliveryStore } from './delivery-store';

describe('MemoryDeliveryStore', () => {
  const clock = (start = 0) => {
    const state = { nowMs: start };
    return { state, now: () => state.nowMs };
  };

  it('claims an id once, then answers duplicate until its TTL runs out', async () => {
    const { state, now } = clock();
    const store = new MemoryDeliveryStore({ now });
    expect(await store.claim('msg_1', 1_000)).toBe(true);
    state.nowMs = 999;
    expect(await store.claim('msg_1', 1_000)).toBe(false);
    state.nowMs = 1_000;
    expect(await store.claim('msg_1', 1_000)).toBe(true);
  });

  it('sweeps expired ids on the next claim, without a timer', async () => {
    const { state, now } = clock();
    const store = new MemoryDeliveryStore({ now });
    await store.claim('msg_1', 100);
    await store.claim('msg_2', 100);
    expect(store.size).toBe(2);
    state.nowMs = 200;
    await store.claim('msg_3', 100);
    expect(store.size).toBe(1);
  });

  it('forgets the oldest id beyond maxEntries', async () => {
    const store = new MemoryDeliveryStore({ maxEntries: 2 });
    await store.claim('msg_1', 60_000);
    await store.claim('msg_2', 60_000);
    await store.claim('msg_3', 60_000);
    expect(store.size).toBe(2);
    expect(await store.claim('msg_3', 60_000)).toBe(false);
    expect(await store.claim('msg_1', 60_000)).toBe(true);
  });

  it('makes a released id claimable again', async () => {
    const store = new MemoryDeliveryStore();
    await store.claim('msg_1', 60_000);
    await store.release('msg_1');
    expect(await store.claim('msg_1', 60_000)).toBe(true);
  });
});
