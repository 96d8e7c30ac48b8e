// The REST API fuzzed from its own OpenAPI spec (`npm run test:fuzz`, scripts/fuzz-api.mjs): schemathesis
// sends a few thousand generated requests, valid and invalid, to a producer of our own with a sandbox key;
// none may answer a 5xx, and every documented response (every /v1 error) must match the spec's schema.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { apiClient } from '../support/api';
import { type RunningApp, startProducer } from '../support/app-process';
import { cleanUp } from '../support/clean-up';
import { repoRoot, uniqueName } from '../support/stack';

const prefix = uniqueName('it-fuzz');
/** Seconds of fuzzing: a quick pass in `npm test`, the long one in `npm run test:full`. */
const FUZZ_SECONDS = process.env.HOOKSTREAM_TEST_FULL === '1' ? 120 : 30;

/** The fuzz script's exit code and everything it printed. */
function fuzz(baseUrl: string, key: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // Asynchronous, so the producer's own output keeps draining while schemathesis runs.
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'scripts/fuzz-api.mjs'), '--base-url', baseUrl, '--key', key, '--max-time', String(FUZZ_SECONDS)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output }));
  });
}

describe('the REST API under schemathesis', () => {
  let producer: RunningApp | undefined;
  const tenantIds: string[] = [];

  afterAll(async () => {
    await producer?.stop();
    await cleanUp(prefix, tenantIds);
  });

  it('never answers a 5xx and answers every error in the documented shape', async () => {
    const started = await startProducer(prefix, {
      // Generated requests without a valid key must not get the fuzzer's own address blocked,
      // nor a burst of events rate limited, or most of the run would only see 429s.
      AUTH_FAILURES_PER_MINUTE: '100000',
      INGEST_RATE_LIMIT_PER_SECOND: '100000',
    });
    producer = started.app;
    const api = apiClient(started.baseUrl);
    const tenant = await api<{ id: string; keys: { sandbox: string } }>('POST', '/v1/admin/tenants', {
      key: 'dev-admin-token',
      body: { name: prefix },
    });
    expect(tenant.status).toBe(201);
    tenantIds.push(tenant.body.id);

    const run = await fuzz(started.baseUrl, tenant.body.keys.sandbox);
    if (run.status !== 0) {
      const producerErrors = producer.output().slice(-4000);
      throw new Error(`schemathesis exited ${run.status}:\n${run.output}\n--- producer output ---\n${producerErrors}`);
    }
    expect(run.output).toMatch(/=+ .*in [\d.]+s =+/);
  }, 360_000);
});
