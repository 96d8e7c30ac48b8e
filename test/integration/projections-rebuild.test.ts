// `npm run projections:rebuild` beside a running, delivering engine: 10 000 deliveries replayed from
// offset 0 give the same tables; a tampered projection is reported (exit 1) and repaired by the swap.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { startDispatcher, startProducer, type RunningApp } from '../support/app-process';
import { apiClient, samplePayin, type ApiCall } from '../support/api';
import { cleanUp } from '../support/clean-up';
import { createDatabase } from '../support/database';
import { TestReceiver } from '../support/receiver';
import { repoRoot, uniqueName } from '../support/stack';
import { waitFor } from '../support/wait-for';

const ENDPOINTS = 10;
const EVENTS = 1000;
const LATE_EVENTS = 100;

const prefix = uniqueName('it-rebuild');
const receiver = new TestReceiver();
const running: RunningApp[] = [];
let database: Awaited<ReturnType<typeof createDatabase>>;
let db: Client;
let api: ApiCall;
let key: string;

beforeAll(async () => {
  database = await createDatabase('it_rebuild');
  db = new Client({ connectionString: database.url });
  const receiverUrl = await receiver.listen();
  // One endpoint fails now and then: failed attempts and scheduled retries are in the log too.
  let requests = 0;
  receiver.answer('/sometimes', (_, response) => {
    requests += 1;
    response.writeHead(requests % 10 === 0 ? 503 : 200).end();
  });
  const env = { DATABASE_URL: database.url };
  const producer = await startProducer(prefix, env);
  running.push(producer.app, await startDispatcher(prefix, env));
  await db.connect();
  api = apiClient(producer.baseUrl);
  key = (
    await api<{ keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: 'rebuild' },
    })
  ).body.keys.sandbox;
  for (let n = 0; n < ENDPOINTS; n++) {
    const path = n === 0 ? '/sometimes' : `/ok/${n}`;
    const created = await api('POST', '/v1/endpoints', {
      key,
      body: { url: `${receiverUrl}${path}`, eventTypes: ['payout.updated'] },
    });
    expect(created.status).toBe(201);
  }
});

afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()));
  await receiver.close();
  await db?.end();
  await cleanUp(prefix);
  await database?.drop();
});

async function publish(count: number): Promise<void> {
  const workers = Array.from({ length: 16 }, async (_, worker) => {
    for (let n = worker; n < count; n += 16) {
      const response = await api('POST', '/v1/events', {
        key,
        body: { type: 'payout.updated', data: samplePayin({ status: 'succeeded' }) },
      });
      expect(response.status).toBe(202);
    }
  });
  await Promise.all(workers);
}

async function count(sql: string): Promise<number> {
  return Number((await db.query<{ n: string }>(sql)).rows[0]?.n);
}

function rebuild(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [join(repoRoot, 'dist/apps/producer/src/projections-rebuild.js'), ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: database.url, KAFKA_TOPIC_PREFIX: prefix, KAFKA_TOPIC_PARTITIONS: '2' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('projections:rebuild', () => {
  it('replays 10 000 deliveries into identical tables while the engine delivers', async () => {
    await publish(EVENTS);
    await waitFor(
      'half the deliveries attempted',
      async () => (await count('SELECT count(*) AS n FROM attempts')) >= (ENDPOINTS * EVENTS) / 2,
      {
        timeoutMs: 120_000,
        intervalMs: 250,
      },
    );

    // The engine keeps accepting and delivering while the rebuild runs.
    const [result] = await Promise.all([rebuild(), publish(LATE_EVENTS)]);
    expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
    for (const table of [
      'deliveries',
      'attempts',
      'endpoint_attempts_hourly',
      'endpoint_health',
      'event_type_versions',
    ])
      expect(result.stdout).toMatch(new RegExp(`^  ${table}: identical \\(\\d+ rows\\)$`, 'm'));
    expect(result.stdout).toContain('the rebuilt tables are now live');
    expect(result.stderr).toMatch(/rebuilding \|.*\| 100% (\d+)\/\1 records, \d+\/s, ETA/);

    // The projector went on in the swapped-in tables: every delivery and attempt counted exactly once.
    const total = ENDPOINTS * (EVENTS + LATE_EVENTS);
    await waitFor(
      'every delivery attempted',
      async () => (await count('SELECT count(*) AS n FROM attempts')) === total,
      {
        timeoutMs: 120_000,
        intervalMs: 250,
      },
    );
    expect(await count('SELECT count(*) AS n FROM deliveries')).toBe(total);
    expect(await count('SELECT sum(successes + failures) AS n FROM endpoint_attempts_hourly')).toBe(total);
    expect(
      await count("SELECT sum(deliveries) AS n FROM event_type_versions WHERE event_type = 'payout.updated'"),
    ).toBe(total);
    expect(await count("SELECT count(*) AS n FROM deliveries WHERE status = 'failed'")).toBeGreaterThan(0);
    // The swap kept the migrations' index names.
    const indexes = await db.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries' ORDER BY indexname",
    );
    expect(indexes.rows.map((row) => row.indexname)).toEqual([
      'deliveries_endpoint',
      'deliveries_event',
      'deliveries_event_type',
      'deliveries_owner',
      'deliveries_pkey',
      'deliveries_status',
      'deliveries_transaction',
    ]);
  });

  it('reports a projection that differs from the log, and repairs it unless asked only to check', async () => {
    const { rows } = await db.query<{ id: string; status: string }>(
      "SELECT id, status FROM deliveries WHERE status = 'succeeded' ORDER BY id LIMIT 1",
    );
    const victim = rows[0] as { id: string; status: string };
    await db.query("UPDATE deliveries SET status = 'exhausted' WHERE id = $1", [victim.id]);
    await db.query('DELETE FROM attempts WHERE delivery_id = $1', [victim.id]);

    const checked = await rebuild('--check');
    expect(checked.code).toBe(1);
    expect(checked.stdout).toMatch(/^ {2}deliveries: DIFFERENT \(\d+ live rows; 1 only live, 1 only rebuilt\)$/m);
    expect(checked.stdout).toMatch(/^ {2}attempts: DIFFERENT \(\d+ live rows; 0 only live, 1 only rebuilt\)$/m);
    expect(checked.stdout).toContain(victim.id);
    expect(checked.stdout).toContain('the live tables are unchanged (--check)');
    expect(await count(`SELECT count(*) AS n FROM attempts WHERE delivery_id = '${victim.id}'`)).toBe(0);

    const repaired = await rebuild();
    expect(repaired.code).toBe(1);
    expect(repaired.stdout).toContain('the rebuilt tables are now live');
    const after = await db.query<{ status: string }>('SELECT status FROM deliveries WHERE id = $1', [victim.id]);
    expect(after.rows[0]?.status).toBe('succeeded');
    expect(await count(`SELECT count(*) AS n FROM attempts WHERE delivery_id = '${victim.id}'`)).toBe(1);

    expect((await rebuild('--check')).code).toBe(0);
  });
});
