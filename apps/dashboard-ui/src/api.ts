/** The API key lives in this tab's session storage only: never in the URL, gone when the tab closes. */
const KEY_ITEM = 'hookstream.apiKey';

export const session = {
  key: (): string | null => sessionStorage.getItem(KEY_ITEM),
  signIn: (key: string): void => sessionStorage.setItem(KEY_ITEM, key),
  signOut: (): void => sessionStorage.removeItem(KEY_ITEM),
};

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A call to this origin's API with the session's key; a 401 signs out, since the key no longer works. */
export async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${session.key() ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'omit',
  });
  const text = await response.text();
  const parsed: unknown = text ? JSON.parse(text) : {};
  if (!response.ok) {
    if (response.status === 401) session.signOut();
    const message = (parsed as { error?: { message?: string } }).error?.message ?? response.statusText;
    throw new ApiFailure(response.status, message);
  }
  return parsed as T;
}

export interface DeliverySummary {
  id: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  status: string;
  attemptCount: number;
  formatVersion: number | null;
  transactionId?: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  exhaustedReason?: string | null;
}

export interface Attempt {
  n: number;
  at: string;
  statusCode: number | null;
  latencyMs: number;
  errorClass?: string | null;
  error: string | null;
  responseBody: string | null;
}

export interface DeliveryDetail extends DeliverySummary {
  attempts: Attempt[];
  lastStatusCode?: number | null;
  updatedAt?: string;
  /** A per-key endpoint's delivery: its key, number, and whether it waits for the one before it. */
  ordering?: { key: string; sequence: number; waiting: boolean } | null;
}

export interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  formatVersion: number;
  status: string;
  disabledReason?: string | null;
  health: {
    attempts24h: number;
    successRate24h: number | null;
    averageLatencyMs24h: number | null;
    lastSuccessAt: string | null;
    lastFailureAt: string | null;
    circuitState: string;
  } | null;
}

/** `POST /v1/endpoints/:id/replay` answers `jobId`; `GET /v1/replays/:id` the rest. */
export interface ReplayJob {
  jobId: string;
  id: string;
  endpointId: string;
  status: string;
  matched: number;
  alreadyDelivered: number;
  toSchedule: number;
  scheduled: number;
  error: string | null;
}

export interface EventType {
  type: string;
  description?: string;
  optIn: boolean;
  versions: {
    version: number;
    subject?: string;
    schemaId?: number;
    deprecated: boolean;
    sunsetAt: string | null;
    replacement?: number | null;
    note?: string | null;
    usage?: { deliveries: number; lastDeliveryAt: string | null };
  }[];
}

export interface StatsBucket {
  at: string;
  pending: number;
  succeeded: number;
  failed: number;
  exhausted: number;
  total: number;
}
