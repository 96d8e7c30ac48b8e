import { ApiKeyRows, KEY_CACHE_STALE_IF_UNAVAILABLE_MS, KEY_CACHE_TTL_MS } from './api-key-rows';

describe('ApiKeyRows', () => {
  const row = { id: 'key_1', tenant_id: 'ten_1', environment: 'sandbox', hash: 'h', allowed_cidrs: null };

  let now = 1_000_000;
  const clock = { now: () => now };

  function rowsOver(answer: () => unknown[]) {
    const query = jest.fn(async () => ({ rows: answer() }));
    return { keys: new ApiKeyRows({ query } as never, clock), query };
  }

  it('reads a key once, then answers from memory until its entry expires', async () => {
    const { keys, query } = rowsOver(() => [row]);
    await expect(keys.find('sk_test_abc')).resolves.toEqual(row);
    await expect(keys.find('sk_test_abc')).resolves.toEqual(row);
    expect(query).toHaveBeenCalledTimes(1);
    now += KEY_CACHE_TTL_MS + 1;
    await keys.find('sk_test_abc');
    expect(query).toHaveBeenCalledTimes(2);
  });

  it('forgets a key revoked in the database once its entry expires', async () => {
    let isRevoked = false;
    const { keys } = rowsOver(() => (isRevoked ? [] : [row]));
    await keys.find('sk_test_abc');
    isRevoked = true;
    now += KEY_CACHE_TTL_MS + 1;
    await expect(keys.find('sk_test_abc')).resolves.toBeUndefined();
  });

  it('never caches an unknown key, so one created a moment later works at once', async () => {
    let rows: unknown[] = [];
    const { keys, query } = rowsOver(() => rows);
    await expect(keys.find('sk_test_abc')).resolves.toBeUndefined();
    rows = [row];
    await expect(keys.find('sk_test_abc')).resolves.toEqual(row);
    expect(query).toHaveBeenCalledTimes(2);
  });
});

describe('ApiKeyRows while Postgres is unavailable', () => {
  const row = { id: 'key_1', tenant_id: 'ten_1', environment: 'sandbox', hash: 'h', allowed_cidrs: null };
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  let now = 1_000_000;
  const clock = { now: () => now };

  it('still answers a key read recently, up to the stale limit', async () => {
    let isDown = false;
    const query = jest.fn(async () => {
      if (isDown) throw refused;
      return { rows: [row] };
    });
    const keys = new ApiKeyRows({ query } as never, clock);
    await keys.find('sk_test_abc');
    isDown = true;
    now += KEY_CACHE_TTL_MS + 1;
    await expect(keys.find('sk_test_abc')).resolves.toEqual(row);
    now += KEY_CACHE_STALE_IF_UNAVAILABLE_MS;
    await expect(keys.find('sk_test_abc')).rejects.toBe(refused);
  });

  it('fails with the database error for a key it has not read, and for any other error', async () => {
    const keys = new ApiKeyRows({ query: jest.fn().mockRejectedValue(refused) } as never, clock);
    await expect(keys.find('sk_test_new')).rejects.toBe(refused);
    const broken = new Error('syntax error');
    let calls = 0;
    const other = new ApiKeyRows(
      {
        query: jest.fn(async () => {
          if (calls++ > 0) throw broken;
          return { rows: [row] };
        }),
      } as never,
      clock,
    );
    await other.find('sk_test_abc');
    now += KEY_CACHE_TTL_MS + 1;
    await expect(other.find('sk_test_abc')).rejects.toBe(broken);
  });
});
