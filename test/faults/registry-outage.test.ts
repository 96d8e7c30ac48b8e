// The schema registry stops: the producer and dispatcher keep publishing and delivering from the
// schemas they hold, and restarted while it is down they start from the schemas they persisted. On a
// throwaway stack of its own, so stopping its registry disturbs no other test.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { TestReceiver } from '../support/receiver';
import { repoRoot, throwawayStackEnv, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

const run = promisify(execFile);
const stackDir = mkdtempSync(join(tmpdir(), 'hookstream-outage-'));
chmodSync(stackDir, 0o755); // the private Postgres runs as another user when the tests run as root
const prefix = uniqueName('it-outage');
const receiver = new TestReceiver();
const running = new Set<RunningApp>();
let env: NodeJS.ProcessEnv;
let api: ApiCall;
let producerUrl: string;
let key: string;

/**
 * The stack script, without blocking the event loop (as spawnSync would): an HTTP connection kept
 * alive across a blocked pause is closed by the app while the client still thinks it usable.
 */
async function stack(...args: string[]): Promise<void> {
  await run(process.execPath, [join(repoRoot, 'scripts/stack.mjs'), ...args], { cwd: repoRoot, env });
}

async function startApps(): Promise<void> {
  const producer = await startProducer(prefix, env);
  running.add(producer.app);
  producerUrl = producer.baseUrl;
  api = apiClient(producerUrl);
  running.add(await startDispatcher(prefix, env));
}

/**
 * kill -9: an orderly stop takes 5-15 s (consumers leaving their groups) and involves no schema; the
 * restart after a crash reads the same persisted cache.
 */
async function killApps(): Promise<void> {
  await Promise.all(
    [...running].map((app) => {
      app.process.kill('SIGKILL');
      return app.exited();
    }),
  );
  running.clear();
}

/** Publishes one event to the test's endpoint and waits until the receiver has it. */
async function publishAndDeliver(transactionId: string): Promise<void> {
  const response = await api<{ id: string }>('POST', '/v1/events', {
    key,
    body: { type: 'payin.succeeded', data: samplePayin({ transactionId }) },
  });
  expect(response.status).toBe(202);
  await waitFor(`delivery of ${transactionId}`, () =>
    receiver.on('/outage').some((webhook) => webhook.body.includes(transactionId)),
  );
}

beforeAll(async () => {
  // The apps persist their schemas in the throwaway stack's directory too.
  env = { ...(await throwawayStackEnv(stackDir)), SCHEMA_CACHE_DIR: join(stackDir, 'schema-cache') };
  await stack('up');
  const receiverUrl = await receiver.listen();
  await startApps();
  const tenant = await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
    key: 'dev-admin-token',
    body: { name: 'outage' },
  });
  key = tenant.body.keys.sandbox;
  const endpoint = await api('POST', '/v1/endpoints', {
    key,
    body: { url: `${receiverUrl}/outage`, eventTypes: ['*'] },
  });
  expect(endpoint.status).toBe(201);
});

afterAll(async () => {
  await killApps();
  await receiver.close();
  // The whole throwaway stack goes, its topics and databases with it: nothing else to clean up.
  try {
    if (env) await stack('down');
  } finally {
    rmSync(stackDir, { recursive: true, force: true });
  }
});

it('delivers while the registry is down, and restarts from the persisted schemas', async () => {
  await publishAndDeliver('txn_before');

  await stack('down', '--only', 'registry');
  await publishAndDeliver('txn_during');

  await killApps();
  await startApps();
  const ready = await fetch(`${producerUrl}/health/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({
    info: { 'schema-registry': { status: 'up', degraded: expect.stringMatching(/^unreachable/) } },
  });
  await publishAndDeliver('txn_after_restart');

  await stack('up');
  await publishAndDeliver('txn_registry_back');
});
