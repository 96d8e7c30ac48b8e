// Scenario 1: `kill -9` of each app in turn, under load; the supervisor restarts it and nothing is lost.
// The projector's shared advisory lock, held by every projector batch's transaction.
import { PROJECTION_LOCK } from '../../../apps/producer/src/projector/projection-tables';
import { Client } from 'pg';
import type { AppName } from '../../support/app-process';
import type { TestReceiver } from '../../support/receiver';
import { waitFor } from '../../support/wait-for';
import { checkDeliveryInvariant, type InvariantReport } from '../support/delivery-invariant';
import type { FaultStack } from '../support/fault-stack';
import { startLoad, type LoadResult } from '../support/load';
import { profile } from '../support/profile';
import { countBy, reportScenario, type ScenarioFigures } from '../support/report';
import { alwaysOk, failFirstAttempt } from '../support/scripted-endpoint';
import type { SupervisedEngine } from '../support/supervised-engine';
import { tenantWithEndpoints, waitUntilSubscribed, type ScenarioTenant } from './tenant';

export type KillTarget = 'producer' | 'dispatcher' | 'retry-scheduler' | 'projector';

export interface KillOutcome {
  readonly figures: ScenarioFigures;
  readonly invariant: InvariantReport;
  readonly load: LoadResult;
  /** When the killed app answered ready again. */
  readonly recoveredAt: number;
  readonly pidBefore: number;
  readonly pidAfter: number;
  /** Every app exit the supervisor saw meanwhile (the kill's, and any other). */
  readonly appExits: readonly string[];
}

/**
 * The endpoints of scenario 1: a steady one that holds each 200 a little (so attempts are in flight when
 * the dispatcher dies), and one that fails every first attempt (so retries are pending in the retry tiers).
 */
export async function killScenarioTenant(
  engine: SupervisedEngine,
  receiver: TestReceiver,
  receiverUrl: string,
): Promise<ScenarioTenant> {
  const tenant = await tenantWithEndpoints(engine.baseUrl, receiver, receiverUrl, 'fault kill -9', [
    { path: '/kill/steady', script: alwaysOk, scriptOptions: { okDelayMs: 200 } },
    { path: '/kill/retried', script: failFirstAttempt, settings: { retrySchedule: ['1s', '1s', '1s'] } },
  ]);
  await waitUntilSubscribed(tenant);
  return tenant;
}

/**
 * Load, then the kill at the moment that makes it hurt, the supervisor's restart, more load, and the
 * invariant over every event accepted meanwhile.
 */
export async function killUnderLoad(
  engine: SupervisedEngine,
  stack: FaultStack,
  tenant: ScenarioTenant,
  target: KillTarget,
): Promise<KillOutcome> {
  const app: AppName = target === 'projector' ? 'producer' : target;
  const exitsBefore = engine.exits().length;
  const load = startLoad(engine.baseUrl, tenant.key, profile.eventsPerSecond);
  let recoverMs: number;
  let recoveredAt: number;
  const pidBefore = engine.pidOf(app) ?? 0;
  try {
    await sleep(profile.loadBeforeMs);
    await untilTheMomentToKill(target, tenant, stack);
    recoverMs = await engine.kill9(app);
    recoveredAt = Date.now();
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
  const figures = reportScenario({
    scenario: `1 kill -9 ${target}`,
    events: invariant.events,
    deliveries: invariant.deliveries,
    duplicates: invariant.duplicates,
    recoverMs,
    refusedPosts: countBy(result.refused.map((post) => post.status)),
    settledMs: invariant.settledMs,
  });
  const appExits = engine.exits().slice(exitsBefore);
  return { figures, invariant, load: result, recoveredAt, pidBefore, pidAfter: engine.pidOf(app) ?? 0, appExits };
}

/** Waits for the state each kill is about: in-flight attempts, pending retries, an open projector transaction. */
async function untilTheMomentToKill(target: KillTarget, tenant: ScenarioTenant, stack: FaultStack): Promise<void> {
  const [steady, retried] = tenant.endpoints.map((endpoint) => endpoint.receiver);
  if (!steady || !retried) throw new Error('the kill scenario needs its two endpoints');
  switch (target) {
    case 'producer':
      // During ingest: the load is running.
      return;
    case 'dispatcher':
      await waitFor('attempts in flight at the receiver', () => steady.pending >= 2, {
        timeoutMs: 30_000,
        intervalMs: 5,
      });
      return;
    case 'retry-scheduler':
      await waitFor('retries pending (first attempts failed, not retried yet)', () => pendingRetries(retried) >= 3, {
        timeoutMs: 30_000,
        intervalMs: 5,
      });
      return;
    case 'projector':
      await untilProjectorTransactionOpen(stack);
      return;
  }
}

function pendingRetries(endpoint: ScenarioTenant['endpoints'][number]['receiver']): number {
  const arrivals = new Map<string, number>();
  for (const arrival of endpoint.arrivals()) {
    const id = String(arrival.headers['webhook-id']);
    arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
  }
  return [...arrivals.values()].filter((count) => count === 1).length;
}

/**
 * Polls Postgres until a projector transaction holds its advisory lock: the kill then lands inside a
 * batch's transaction (or, at worst, a few milliseconds after it).
 */
async function untilProjectorTransactionOpen(stack: FaultStack): Promise<void> {
  const pg = new Client({ connectionString: stack.env.DATABASE_URL });
  await pg.connect();
  try {
    await waitFor(
      'a projector transaction holding its lock',
      async () => {
        const { rows } = await pg.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE locktype = 'advisory' AND classid = 0 AND objid = $1 AND objsubid = 1 AND granted`,
          [PROJECTION_LOCK],
        );
        return (rows[0]?.n ?? 0) > 0;
      },
      { timeoutMs: 30_000, intervalMs: 1 },
    );
  } finally {
    await pg.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
