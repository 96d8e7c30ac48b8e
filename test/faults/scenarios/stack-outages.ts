// Scenarios 2–4: one stack service (Kafka, Postgres, the registry) stopped under load, then started again.
import type { AppName } from '../../support/app-process';
import type { TestReceiver } from '../../support/receiver';
import { checkDeliveryInvariant, type InvariantReport } from '../support/delivery-invariant';
import { outage, type FaultStack, type Outage, type StackService } from '../support/fault-stack';
import { startLoad, type LoadResult } from '../support/load';
import { profile } from '../support/profile';
import { countBy, reportScenario, type ScenarioFigures } from '../support/report';
import { alwaysOk, failFirstAttempt } from '../support/scripted-endpoint';
import { APPS, type SupervisedEngine } from '../support/supervised-engine';
import { tenantWithEndpoints, waitUntilSubscribed, type ScenarioTenant } from './tenant';

export interface OutageOutcome extends Outage {
  readonly figures: ScenarioFigures;
  readonly invariant: InvariantReport;
  readonly load: LoadResult;
  /** Webhooks the receiver got while the service was down. */
  readonly arrivalsDuringOutage: number;
  /** Statuses of GET /v1/deliveries polled while the service was down (0: no answer). */
  readonly statusQueryAnswers: readonly number[];
  /** Per app killed while the service was down: the time until it was ready again, or its error. */
  readonly restartsDuringOutage: Readonly<Partial<Record<AppName, number | string>>>;
}

export interface OutageOptions {
  /** Apps to `kill -9` while the service is down (scenario 4: they must start without it). */
  readonly killDuringOutage?: readonly AppName[];
}

export async function outageScenarioTenant(
  engine: SupervisedEngine,
  receiver: TestReceiver,
  receiverUrl: string,
): Promise<ScenarioTenant> {
  const tenant = await tenantWithEndpoints(engine.baseUrl, receiver, receiverUrl, 'fault outages', [
    { path: '/outage/steady', script: alwaysOk },
    // Retries of the events accepted just before the outage fall due in its middle: whether they arrive
    // shows whether delivery goes on without the service (ingest may well not).
    {
      path: '/outage/retried',
      script: failFirstAttempt,
      settings: { retrySchedule: [`${Math.round(profile.outageMs / 2000)}s`] },
    },
  ]);
  await waitUntilSubscribed(tenant);
  return tenant;
}

/** Load, the outage (with probes and restarts meanwhile), recovery, more load, and the invariant. */
export async function outageUnderLoad(
  engine: SupervisedEngine,
  stack: FaultStack,
  tenant: ScenarioTenant,
  service: StackService,
  options: OutageOptions = {},
): Promise<OutageOutcome> {
  const exitsBefore = engine.exits();
  const load = startLoad(engine.baseUrl, tenant.key, profile.eventsPerSecond);
  const statusQueryAnswers: number[] = [];
  const restartsDuringOutage: Partial<Record<AppName, number | string>> = {};
  let window: Outage;
  let recoverMs: number;
  try {
    await sleep(profile.loadBeforeMs);
    window = await outage(stack, service, profile.outageMs, async (downAt) => {
      const probing = pollStatusQueries(tenant, downAt + profile.outageMs, statusQueryAnswers);
      for (const app of options.killDuringOutage ?? []) {
        restartsDuringOutage[app] = await engine.kill9(app).catch((error: Error) => error.message.split('\n')[0]);
      }
      await probing;
    });
    // Whole again: every app ready once the service is back.
    for (const app of APPS) await engine.waitReady(app);
    recoverMs = Date.now() - window.upAt;
    await sleep(profile.loadAfterMs);
  } finally {
    await load.stop();
  }
  const result = { accepted: load.accepted, refused: load.refused };
  const invariant = await checkDeliveryInvariant({
    api: tenant.api,
    key: tenant.key,
    events: result.accepted,
    endpoints: tenant.endpoints,
    exactAttempts: false,
    timeoutMs: profile.settleTimeoutMs,
  });
  const arrivalsDuringOutage = tenant.endpoints
    .flatMap((endpoint) => endpoint.receiver.arrivals())
    .filter((arrival) => arrival.receivedAt > window.downAt && arrival.receivedAt < window.upAt).length;
  const figures = reportScenario({
    scenario: `${SCENARIO_NUMBER[service]} ${service} stopped ${profile.outageMs / 1000}s`,
    events: invariant.events,
    deliveries: invariant.deliveries,
    duplicates: invariant.duplicates,
    recoverMs,
    refusedPosts: countBy(result.refused.map((post) => post.status)),
    arrivalsDuringOutage,
    statusQueryAnswers: countBy(statusQueryAnswers),
    restartsDuringOutage,
    // Apps that died (and were restarted by the supervisor) during the scenario, the kills included.
    appExits: engine.exits().slice(exitsBefore.length),
    settledMs: invariant.settledMs,
  });
  return {
    ...window,
    figures,
    invariant,
    load: result,
    arrivalsDuringOutage,
    statusQueryAnswers,
    restartsDuringOutage,
  };
}

const SCENARIO_NUMBER: Record<StackService, number> = { kafka: 2, postgres: 3, registry: 4 };

/** GET /v1/deliveries every half second until `until`, recording each answer's status. */
async function pollStatusQueries(tenant: ScenarioTenant, until: number, answers: number[]): Promise<void> {
  while (Date.now() < until) {
    const answer = await fetch(`${tenant.baseUrl}/v1/deliveries?limit=1`, {
      headers: { authorization: `Bearer ${tenant.key}` },
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (response) => ({ status: response.status, body: await response.arrayBuffer() }))
      .catch(() => ({ status: 0 }));
    answers.push(answer.status);
    await sleep(500);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
