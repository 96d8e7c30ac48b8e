import { apiClient, samplePayin, type ApiCall } from '../../support/api';
import type { TestReceiver } from '../../support/receiver';
import { waitFor } from '../../support/wait-for';
import type { SubscribedEndpoint } from '../support/delivery-invariant';
import { ScriptedEndpoint, type Script, type ScriptOptions } from '../support/scripted-endpoint';

export interface EndpointSpec {
  readonly path: string;
  readonly script: Script;
  readonly scriptOptions?: ScriptOptions;
  /** Extra fields of POST /v1/endpoints (timeoutMs, retrySchedule…). */
  readonly settings?: Record<string, unknown>;
}

export interface ScenarioTenant {
  readonly baseUrl: string;
  readonly api: ApiCall;
  readonly key: string;
  readonly endpoints: SubscribedEndpoint[];
}

/** A tenant of its own with endpoints subscribed to every type, each behind a scripted receiver path. */
export async function tenantWithEndpoints(
  baseUrl: string,
  receiver: TestReceiver,
  receiverUrl: string,
  name: string,
  specs: readonly EndpointSpec[],
): Promise<ScenarioTenant> {
  const api = apiClient(baseUrl);
  const tenant = await api<{ id: string; keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name },
  });
  if (tenant.status !== 201) throw new Error(`POST /v1/admin/tenants answered ${tenant.status}`);
  const key = tenant.body.keys.sandbox;
  const endpoints: SubscribedEndpoint[] = [];
  for (const spec of specs) {
    const created = await api<{ id: string }>('POST', '/v1/endpoints', {
      key,
      body: { url: `${receiverUrl}${spec.path}`, eventTypes: ['*'], ...spec.settings },
    });
    if (created.status !== 201)
      throw new Error(`POST /v1/endpoints answered ${created.status}: ${JSON.stringify(created.body)}`);
    endpoints.push({
      id: created.body.id,
      receiver: new ScriptedEndpoint(receiver, spec.path, spec.script, spec.scriptOptions),
    });
  }
  return { baseUrl, api, key, endpoints };
}

/**
 * Posts one event and waits until every endpoint saw it: the endpoints reach the fan-out through a
 * compacted topic, so events posted before that would rightly not be delivered to them.
 */
export async function waitUntilSubscribed(tenant: ScenarioTenant, timeoutMs = 60_000): Promise<string> {
  const posted = await tenant.api<{ id: string }>('POST', '/v1/events', {
    key: tenant.key,
    body: { type: 'payin.succeeded', data: samplePayin({ transactionId: 'txn_fault_warm_up' }) },
  });
  if (posted.status !== 202) throw new Error(`POST /v1/events answered ${posted.status}`);
  const seen = (endpoint: SubscribedEndpoint) =>
    endpoint.receiver.arrivals().some((arrival) => arrival.body.includes(posted.body.id));
  await waitFor('the warm-up event at every endpoint', () => tenant.endpoints.every(seen), { timeoutMs });
  return posted.body.id;
}
