/**
 * Latency of the status queries over REST: `GET /v1/deliveries/:id` (and, for comparison, filtered lists) with
 * a million deliveries in the projection, against the built producer as its own process.
 */
import { EventCatalogue, loadSchemaFiles } from '@hookstream/contracts';
import { createKafka } from '@hookstream/kafka';
import { createLogger } from '@hookstream/observability';
import { createPool, type Pool } from '@hookstream/postgres';
import { randomBytes, randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { createBenchDatabase } from './support/bench-database';
import { runBench } from './support/bench-run';
import { formatSummary, type LatencySummary, round, summarize } from './support/latency-stats';
import { benchOptions } from './support/options';
import { startProducer } from './support/producer-process';
import { benchKafkaSettings, stackEndpoints } from './support/stack-endpoints';
import { deleteTopicPrefix } from './support/topic-prefix';

const BENCH = 'status-query-latency';

const options = benchOptions(BENCH, {
  rows: { default: 1_000_000, min: 1, isInteger: true, help: 'deliveries seeded, over every tenant' },
  tenants: { default: 1000, min: 2, isInteger: true, help: 'tenants owning them' },
  tenantRows: { default: 0, isInteger: true, help: "the measured tenant's deliveries (0: a tenth of --rows)" },
  chunkRows: { default: 50_000, min: 1, isInteger: true, help: 'deliveries seeded per statement' },
  warmUpRequests: { default: 500, isInteger: true, help: 'GET /v1/deliveries/:id requests before measuring' },
  requests: { default: 5000, min: 1, isInteger: true, help: 'sequential GET /v1/deliveries/:id requests' },
  concurrentRequests: {
    default: 400,
    min: 1,
    isInteger: true,
    help: 'GET /v1/deliveries/:id requests, --concurrency at once',
  },
  concurrency: { default: 8, min: 1, isInteger: true, help: 'requests in flight for the concurrent run' },
  listRequests: {
    default: 600,
    min: 6,
    isInteger: true,
    help: 'GET /v1/deliveries?limit=50 requests, over six filters',
  },
  targetP99Ms: { default: 20, min: 1, help: 'the p99 of sequential GET /v1/deliveries/:id to stay below' },
});

const PAGE_SIZE = 50;
const HISTORY_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The mix of event types a payments platform sends; the seed draws from it. */
const EVENT_TYPE_WEIGHTS: Readonly<Record<string, number>> = {
  'payin.succeeded': 40,
  'payin.failed': 12,
  'payout.updated': 20,
  'refund.updated': 10,
  'api.request_failed': 15,
  'balance.threshold_reached': 3,
};

interface Sample {
  readonly id: string;
  readonly attemptCount: number;
}

interface DeliverySummaryBody {
  id: string;
  endpointId: string;
  eventType: string;
  status: string;
  createdAt: string;
}

void runBench(BENCH, async (bench) => {
  const stack = stackEndpoints();
  const logger = createLogger(BENCH, 'error');
  const runId = randomBytes(4).toString('hex');
  const prefix = `bench-status-${runId}`;
  const tenantRows = Math.min(options.rows, options.tenantRows || Math.ceil(options.rows / 10));

  const database = await createBenchDatabase(stack.databaseUrl, `hookstream_bench_${runId}`, logger);
  bench.defer(() => database.drop());
  const kafka = createKafka(benchKafkaSettings(stack, prefix, 2), `${BENCH}-${runId}`, logger);
  bench.defer(() => deleteTopicPrefix(kafka, stack.registryUrl, prefix));
  console.log(`${BENCH}: database ${database.name}, topics ${prefix}.*`);
  // Two partitions: this benchmark writes nothing to Kafka, the producer only needs its topics to start.
  const producer = await startProducer({
    topicPrefix: prefix,
    topicPartitions: 2,
    databaseUrl: database.url,
    signal: bench.signal,
  });
  bench.defer(() => producer.stop());
  const pool = createPool(database.url, logger, 1);
  bench.defer(() => pool.end());

  const tenant = await createTenant(producer.baseUrl, stack.adminToken, `bench ${runId}`);
  const seeded = await seed(pool, { tenantId: tenant.id, tenantRows, signal: bench.signal });
  const samples = await tenantDeliveries(pool, tenant.id);
  const endpointIds = await tenantEndpoints(pool, tenant.id);

  const api = statusApi(producer.baseUrl, tenant.keys.sandbox);
  const pick = () => samples[randomInt(samples.length)] as Sample;

  for (let index = 0; index < options.warmUpRequests; index++) await api.getDelivery(pick());
  bench.signal.throwIfAborted();

  console.log(`${BENCH}: ${options.requests} sequential GET /v1/deliveries/:id…`);
  const sequential: number[] = [];
  for (let index = 0; index < options.requests && !bench.signal.aborted; index++) {
    sequential.push(await api.getDelivery(pick()));
  }
  bench.signal.throwIfAborted();

  console.log(`${BENCH}: ${options.concurrentRequests} GET /v1/deliveries/:id, ${options.concurrency} at a time…`);
  const concurrent: number[] = [];
  let remaining = options.concurrentRequests;
  const concurrentStartedAt = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (remaining-- > 0 && !bench.signal.aborted) concurrent.push(await api.getDelivery(pick()));
    }),
  );
  const concurrentPerS = round(concurrent.length / ((performance.now() - concurrentStartedAt) / 1000));

  console.log(`${BENCH}: ${options.listRequests} GET /v1/deliveries?limit=${PAGE_SIZE}, six kinds of filter…`);
  const lists = await measureLists(api, options.listRequests, {
    endpointIds,
    eventTypes: Object.keys(EVENT_TYPE_WEIGHTS),
    newestAt: seeded.nowMs,
    // Six hours of a big tenant's history, or longer for a small one: some three pages, so there is a next page.
    windowMs: Math.max(6 * 60 * 60 * 1000, Math.ceil(((3 * PAGE_SIZE) / tenantRows) * HISTORY_DAYS * DAY_MS)),
  });

  const get = summarize(sequential);
  const getConcurrent = summarize(concurrent);
  const listAll = summarize([...lists.values()].flat());
  console.log('');
  console.log(formatSummary('GET /v1/deliveries/:id', get));
  console.log(formatSummary(`  … ${options.concurrency} at a time`, getConcurrent) + `  (${concurrentPerS}/s)`);
  console.log(formatSummary('GET /v1/deliveries (all)', listAll));
  for (const [kind, samplesMs] of lists) console.log(formatSummary(`  ${kind}`, summarize(samplesMs)));
  console.log(`bad responses: ${api.badResponses.length}`);
  for (const problem of api.badResponses.slice(0, 5)) console.log(`  ${problem}`);
  console.log('');

  const metrics: Record<string, number> = {
    rows: seeded.deliveries,
    attemptRows: seeded.attempts,
    tenantRows,
    seedSeconds: seeded.seconds,
    ...latencyMetrics('get', get),
    ...latencyMetrics('getConcurrent', getConcurrent),
    getConcurrentPerS: concurrentPerS,
    ...latencyMetrics('list', listAll),
  };
  for (const [kind, samplesMs] of lists)
    Object.assign(metrics, latencyMetrics(camelCase(`list-${kind}`), summarize(samplesMs)));
  metrics['badResponses'] = api.badResponses.length;
  return {
    metrics,
    targets: {
      getP99Ms: { below: options.targetP99Ms },
      // A latency of answers that were errors, or the wrong delivery, measures nothing.
      badResponses: { atMost: 0 },
      rows: { atLeast: options.rows },
    },
  };
});

async function createTenant(
  baseUrl: string,
  adminToken: string,
  name: string,
): Promise<{ id: string; keys: { sandbox: string } }> {
  const response = await fetch(`${baseUrl}/v1/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201)
    throw new Error(`POST /v1/admin/tenants answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { id: string; keys: { sandbox: string } };
}

/**
 * Ids exactly as libs/delivery/src/ids.ts makes them: Crockford base32 (lower case) of the first 130 bits,
 * most significant first. `new_id` is newId (48-bit milliseconds, then 80 "random" bits, here from md5 of a
 * seed), `delivery_id` is deliveryIdFor (sha-256 of event id, NUL, endpoint id). Temporary: gone with the session.
 */
const SEED_FUNCTIONS = `
CREATE FUNCTION pg_temp.base32(bytes bytea) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  bits constant varbit := ('x' || encode(bytes, 'hex'))::varbit;
  out text := '';
BEGIN
  FOR k IN 0..25 LOOP
    out := out || substr('0123456789abcdefghjkmnpqrstvwxyz', substring(bits FROM 5 * k + 1 FOR 5)::bit(5)::int + 1, 1);
  END LOOP;
  RETURN out;
END $$;
-- 128 bits make 25 characters; newId pads the 26th with '0'.
CREATE FUNCTION pg_temp.new_id(prefix text, ms bigint, seed text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT prefix || '_' || left(pg_temp.base32(substr(int8send(ms), 3, 6) || substr(decode(md5(seed), 'hex'), 1, 10)), 25) || '0'
$$;
CREATE FUNCTION pg_temp.delivery_id(event_id text, endpoint_id text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 'dlv_' || pg_temp.base32(sha256(convert_to(event_id, 'UTF8') || '\\x00'::bytea || convert_to(endpoint_id, 'UTF8')))
$$;
CREATE TEMP TABLE seed_tenants (t int PRIMARY KEY, id text NOT NULL, endpoint_count int NOT NULL);
CREATE TEMP TABLE seed_endpoints (t int NOT NULL, k int NOT NULL, id text NOT NULL, PRIMARY KEY (t, k));
`;

/** Tenant 0 is the measured one (five endpoints); the others have one to three. $1 its id, $2 tenants, $3 a time before the history. */
const SEED_TENANTS = `
INSERT INTO seed_tenants
SELECT t, CASE WHEN t = 0 THEN $1 ELSE pg_temp.new_id('ten', $3::bigint + t * 60000, 'ten.' || t) END,
       CASE WHEN t = 0 THEN 5 ELSE 1 + t % 3 END
  FROM generate_series(0, $2::int - 1) AS t
`;
const SEED_ENDPOINTS = `
INSERT INTO seed_endpoints
SELECT st.t, k, pg_temp.new_id('ep', $1::bigint + st.t * 60000 + k * 1000, 'ep.' || st.t || '.' || k)
  FROM seed_tenants st, generate_series(0, st.endpoint_count - 1) AS k
`;

/**
 * Deliveries $1..$2 of $9 and their attempts, in one statement. $3 of the $9 go to the measured tenant (all
 * sandbox), evenly interleaved; the rest to the other $4 - 1 tenants, skewed (a few big ones, many small), three
 * in ten sandbox. Created over the $6 ms before $5 in row order, so the heap is in time order as the projector's
 * appends leave it. Event types drawn from $7 (repeated by weight); $8 the types whose events carry a
 * transactionId. Statuses as a projection holds them: 85% succeeded (after 1-3 attempts), 9% failed (1-3
 * attempts, a retry due), 5% exhausted (3 attempts), 1% pending (not attempted yet). Attempts follow the
 * default retry schedule (5 s, 5 min, 30 min).
 */
const SEED_DELIVERIES = `
WITH drawn AS (
  SELECT i,
         CASE WHEN (i::bigint * $3::int) / $9::int <> ((i::bigint + 1) * $3::int) / $9::int THEN 0
              ELSE 1 + floor(($4::int - 1) * power(random(), 2))::int END AS t,
         random() AS r_age, random() AS r_status, random() AS r_type, random() AS r_endpoint,
         random() AS r_environment, random() AS r_attempts, random() AS r_failure, random() AS r_latency
    FROM generate_series($1::int, $2::int) AS i
), shaped AS (
  SELECT d.i, d.r_latency, st.id AS tenant_id, ep.id AS endpoint_id,
         CASE WHEN d.t = 0 OR d.r_environment < 0.3 THEN 'sandbox' ELSE 'live' END AS environment,
         ($7::text[])[1 + floor(d.r_type * cardinality($7::text[]))::int] AS event_type,
         $5::bigint - ($6::bigint * ($9::int - d.i)) / $9::int - (d.r_age * 1000)::bigint AS created_ms,
         CASE WHEN d.r_status < 0.01 THEN 'pending' WHEN d.r_status < 0.86 THEN 'succeeded'
              WHEN d.r_status < 0.95 THEN 'failed' ELSE 'exhausted' END AS status,
         d.r_attempts,
         CASE WHEN d.r_failure < 0.6 THEN 503 WHEN d.r_failure < 0.8 THEN 500 END AS failure_code
    FROM drawn d
    JOIN seed_tenants st ON st.t = d.t
    JOIN seed_endpoints ep ON ep.t = d.t AND ep.k = floor(d.r_endpoint * st.endpoint_count)::int
), counted AS (
  SELECT s.*, pg_temp.new_id('evt', s.created_ms, 'evt.' || s.i) AS event_id,
         to_timestamp(s.created_ms / 1000.0) AS created_at,
         CASE s.status WHEN 'pending' THEN 0 WHEN 'exhausted' THEN 3 WHEN 'failed' THEN 1 + floor(s.r_attempts * 3)::int
              ELSE CASE WHEN s.r_attempts < 0.8 THEN 1 WHEN s.r_attempts < 0.95 THEN 2 ELSE 3 END END AS attempt_count
    FROM shaped s
), seeded AS (
  SELECT c.*, pg_temp.delivery_id(c.event_id, c.endpoint_id) AS id,
         c.created_at + (ARRAY[interval '0', interval '0.2 s', interval '5.2 s', interval '5 min 5.2 s'])[1 + c.attempt_count]
           AS updated_at
    FROM counted c
), deliveries_written AS (
  INSERT INTO deliveries (id, tenant_id, environment, event_id, event_type, endpoint_id, status, attempt_count,
                          last_status_code, next_attempt_at, format_version, transaction_id, created_at, updated_at)
  SELECT id, tenant_id, environment, event_id, event_type, endpoint_id, status, attempt_count,
         CASE status WHEN 'succeeded' THEN 200 WHEN 'pending' THEN NULL ELSE failure_code END,
         CASE status WHEN 'pending' THEN created_at
                     WHEN 'failed' THEN updated_at + (ARRAY[interval '5 s', interval '5 min', interval '30 min'])[attempt_count] END,
         1,
         CASE WHEN event_type = ANY($8::text[]) THEN 'txn_' || substr(md5('txn.' || i), 1, 20) END,
         created_at, updated_at
    FROM seeded
)
INSERT INTO attempts (delivery_id, n, at, status_code, latency_ms, error_class, error, response_body)
SELECT s.id, n, s.created_at + (ARRAY[interval '0.2 s', interval '5.2 s', interval '5 min 5.2 s'])[n],
       CASE WHEN is_success THEN 200 ELSE s.failure_code END,
       CASE WHEN NOT is_success AND s.failure_code IS NULL THEN 10000 ELSE 40 + floor(s.r_latency * 400)::int END,
       CASE WHEN is_success THEN NULL WHEN s.failure_code IS NULL THEN 'timeout' ELSE 'non_2xx' END,
       CASE WHEN is_success THEN NULL WHEN s.failure_code IS NULL THEN 'timed out after 10000 ms' ELSE 'HTTP ' || s.failure_code END,
       CASE WHEN is_success THEN '{"received":true}' WHEN s.failure_code IS NULL THEN NULL
            ELSE '<html><body><h1>' || s.failure_code || ' Service Unavailable</h1></body></html>' END
  FROM seeded s, generate_series(1, s.attempt_count) AS n,
       LATERAL (SELECT s.status = 'succeeded' AND n = s.attempt_count AS is_success) AS outcome
`;

/** Seeds the projection tables with SQL (generate_series), then VACUUM ANALYZE, as a long-running table would be. */
async function seed(
  pool: Pool,
  { tenantId, tenantRows, signal }: { tenantId: string; tenantRows: number; signal: AbortSignal },
): Promise<{ deliveries: number; attempts: number; seconds: number; nowMs: number }> {
  const catalogue = new EventCatalogue(loadSchemaFiles());
  const weightedTypes = Object.entries(EVENT_TYPE_WEIGHTS).flatMap(([type, weight]) => {
    if (!catalogue.get(type)) throw new Error(`${type} is not an event type of schemas/`);
    return Array.from({ length: weight }, () => type);
  });
  const typesWithTransaction = catalogue
    .types()
    .filter((definition) => carriesTransactionId(definition.versions[definition.versions.length - 1]?.schema))
    .map((definition) => definition.type);
  const nowMs = Date.now();
  const historyMs = HISTORY_DAYS * DAY_MS;

  const startedAt = performance.now();
  const client = await pool.connect();
  try {
    // The database is thrown away after the run: no need to wait for each chunk's WAL flush.
    await client.query('SET synchronous_commit = off');
    await client.query(SEED_FUNCTIONS);
    const tenantsCreatedMs = nowMs - historyMs - 60 * DAY_MS;
    await client.query(SEED_TENANTS, [tenantId, options.tenants, tenantsCreatedMs]);
    await client.query(SEED_ENDPOINTS, [tenantsCreatedMs]);
    await client.query("INSERT INTO tenants (id, name) SELECT id, 'bench tenant ' || t FROM seed_tenants WHERE t > 0");
    console.log(
      `${BENCH}: seeding ${options.rows} deliveries over ${options.tenants} tenants ` +
        `(${tenantRows} for the measured one)…`,
    );
    for (let first = 0; first < options.rows; first += options.chunkRows) {
      signal.throwIfAborted();
      const last = Math.min(options.rows, first + options.chunkRows) - 1;
      await client.query(SEED_DELIVERIES, [
        first,
        last,
        tenantRows,
        options.tenants,
        nowMs,
        historyMs,
        weightedTypes,
        typesWithTransaction,
        options.rows,
      ]);
      const seconds = (performance.now() - startedAt) / 1000;
      if (last + 1 === options.rows || Math.floor((last + 1) / 200_000) > Math.floor(first / 200_000))
        console.log(`  ${last + 1} deliveries (${seconds.toFixed(0)} s)`);
    }
  } finally {
    client.release();
  }
  const insertSeconds = (performance.now() - startedAt) / 1000;
  await pool.query('VACUUM (ANALYZE) deliveries, attempts');
  const seconds = round((performance.now() - startedAt) / 1000);
  const { rows } = await pool.query<{ deliveries: string; attempts: string }>(
    'SELECT (SELECT count(*) FROM deliveries) AS deliveries, (SELECT count(*) FROM attempts) AS attempts',
  );
  const counts = { deliveries: Number(rows[0]?.deliveries), attempts: Number(rows[0]?.attempts) };
  console.log(
    `${BENCH}: seeded ${counts.deliveries} deliveries and ${counts.attempts} attempts in ${seconds} s ` +
      `(inserts ${insertSeconds.toFixed(1)} s, ${Math.round(counts.deliveries / insertSeconds)} deliveries/s; ` +
      `then VACUUM ANALYZE)`,
  );
  return { ...counts, seconds, nowMs };
}

/** Whether events of this schema carry a transactionId in their data (the fan-out copies it to the delivery). */
function carriesTransactionId(schema: Readonly<Record<string, unknown>> | undefined): boolean {
  const fields = (schema?.['fields'] ?? []) as { name: string; type: unknown }[];
  const data = fields.find((field) => field.name === 'data')?.type as { fields?: { name: string }[] } | undefined;
  return data?.fields?.some((field) => field.name === 'transactionId') ?? false;
}

async function tenantEndpoints(pool: Pool, tenantId: string): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    "SELECT DISTINCT endpoint_id AS id FROM deliveries WHERE tenant_id = $1 AND environment = 'sandbox'",
    [tenantId],
  );
  return rows.map((row) => row.id);
}

async function tenantDeliveries(pool: Pool, tenantId: string): Promise<Sample[]> {
  const { rows } = await pool.query<{ id: string; attempt_count: number }>(
    "SELECT id, attempt_count FROM deliveries WHERE tenant_id = $1 AND environment = 'sandbox'",
    [tenantId],
  );
  if (rows.length === 0) throw new Error('the measured tenant has no deliveries');
  return rows.map((row) => ({ id: row.id, attemptCount: row.attempt_count }));
}

/** The REST client of the benchmark: each call answers its latency in ms, and a wrong answer is noted. */
function statusApi(baseUrl: string, apiKey: string) {
  const badResponses: string[] = [];
  const call = async <T>(path: string): Promise<{ status: number; body: T; ms: number }> => {
    const startedAt = performance.now();
    const response = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    const body = (await response.json()) as T;
    return { status: response.status, body, ms: performance.now() - startedAt };
  };
  return {
    badResponses,
    async getDelivery(sample: Sample): Promise<number> {
      const { status, body, ms } = await call<{ id?: string; attempts?: unknown[] }>(`/v1/deliveries/${sample.id}`);
      if (status !== 200 || body.id !== sample.id || body.attempts?.length !== sample.attemptCount) {
        badResponses.push(`GET /v1/deliveries/${sample.id}: ${status} ${JSON.stringify(body).slice(0, 200)}`);
      }
      return ms;
    },
    async list(query: URLSearchParams, isExpected: (item: DeliverySummaryBody) => boolean) {
      const path = `/v1/deliveries?${query.toString()}`;
      const { status, body, ms } = await call<{ data?: DeliverySummaryBody[]; nextCursor?: string | null }>(path);
      const data = body.data ?? [];
      const isNewestFirst = data.every(
        (item, index) => index === 0 || item.createdAt <= (data[index - 1]?.createdAt ?? ''),
      );
      // Every filter matches some of the tenant's deliveries: an empty page, or a short one that is not the last, is wrong.
      const isFullOrLast = data.length === PAGE_SIZE || (data.length > 0 && !body.nextCursor);
      if (status !== 200 || !isFullOrLast || !data.every(isExpected) || !isNewestFirst) {
        badResponses.push(`GET ${path}: ${status}, ${data.length} items ${JSON.stringify(body).slice(0, 200)}`);
      }
      return { ms, nextCursor: body.nextCursor ?? null };
    },
  };
}

type StatusApi = ReturnType<typeof statusApi>;

/** Lists, newest first, in turn: unfiltered, by status, event type, endpoint, a window of time, and its next page. */
async function measureLists(
  api: StatusApi,
  requests: number,
  world: { endpointIds: readonly string[]; eventTypes: readonly string[]; newestAt: number; windowMs: number },
): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>();
  const record = (kind: string, ms: number) => samples.set(kind, [...(samples.get(kind) ?? []), ms]);
  const anyOf = <T>(values: readonly T[]) => values[randomInt(values.length)] as T;
  const page = (filters: Record<string, string>) => new URLSearchParams({ limit: String(PAGE_SIZE), ...filters });
  let cursor: { value: string; since: string; until: string } | null = null;
  for (let index = 0; index < requests; index++) {
    switch (index % 6) {
      case 0:
        record('newest', (await api.list(page({}), () => true)).ms);
        break;
      case 1: {
        const status = anyOf(['succeeded', 'failed', 'exhausted']);
        record('by-status', (await api.list(page({ status }), (item) => item.status === status)).ms);
        break;
      }
      case 2: {
        const eventType = anyOf(world.eventTypes);
        record('by-event-type', (await api.list(page({ eventType }), (item) => item.eventType === eventType)).ms);
        break;
      }
      case 3: {
        const endpointId = anyOf(world.endpointIds);
        record('by-endpoint', (await api.list(page({ endpointId }), (item) => item.endpointId === endpointId)).ms);
        break;
      }
      case 4: {
        const untilMs = world.newestAt - randomInt(Math.max(1, HISTORY_DAYS * DAY_MS - world.windowMs));
        const since = new Date(untilMs - world.windowMs).toISOString();
        const until = new Date(untilMs).toISOString();
        const inWindow = (item: DeliverySummaryBody) => item.createdAt >= since && item.createdAt < until;
        const answer = await api.list(page({ since, until }), inWindow);
        record('window', answer.ms);
        cursor = answer.nextCursor ? { value: answer.nextCursor, since, until } : null;
        break;
      }
      default: {
        if (!cursor) break;
        const { since, until } = cursor;
        const inWindow = (item: DeliverySummaryBody) => item.createdAt >= since && item.createdAt < until;
        record('next-page', (await api.list(page({ since, until, cursor: cursor.value }), inWindow)).ms);
      }
    }
  }
  return samples;
}

function latencyMetrics(name: string, summary: LatencySummary): Record<string, number> {
  return {
    [`${name}P50Ms`]: summary.p50,
    [`${name}P90Ms`]: summary.p90,
    [`${name}P99Ms`]: summary.p99,
    [`${name}MaxMs`]: summary.max,
  };
}

function camelCase(kebab: string): string {
  return kebab.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
