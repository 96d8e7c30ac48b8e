/** A small JSON client for the REST API, as a merchant's or platform team's code would call it. */
export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

export function apiClient(baseUrl: string) {
  /** Tenants created through this client, for cleaning up after the test. */
  const tenantIds: string[] = [];
  const call = async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    {
      key,
      body,
      rawBody,
      headers = {},
    }: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined || rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : {}) as T;
    if (method === 'POST' && path === '/v1/admin/tenants' && response.status === 201)
      tenantIds.push((parsed as { id: string }).id);
    return { status: response.status, body: parsed };
  };
  return Object.assign(call, { tenantIds });
}

export type ApiCall = ReturnType<typeof apiClient>;

export const samplePayin = (overrides: Record<string, unknown> = {}) => ({
  transactionId: 'txn_123',
  status: 'succeeded',
  amount: 1999,
  currency: 'EUR',
  responseCode: '00',
  responseMessage: 'Approved',
  occurredAt: '2026-11-28T12:00:00Z',
  ...overrides,
});
