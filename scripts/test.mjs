#!/usr/bin/env node
// `npm test`: install what is missing, bring the stack up if it is not, run the schemas' compatibility
// gate, build, run jest (unit and integration, plus the long scenarios with --full), then stop only
// what this run started.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { build, ensureChromium, ensureNodeModules, stackDown, stackUp } from './setup.mjs';
import { repoRoot } from './stack/config.mjs';

const isFull = process.argv.includes('--full');
const jestArgs = process.argv.slice(2).filter((arg) => arg !== '--full');
/**
 * Integration tests that run in the fault suite's lane (see below): those that kill an app mid-batch, and a
 * long one that measures no latency, so that both lanes take about as long. That lane is the busier (it starts
 * throwaway stacks): tests with a tight set-up budget stay out of it (tenant-isolation's 120 s ran out there).
 */
const BESIDE_FAULTS = [
  'test/integration/projector-crash.test.ts',
  'test/integration/fan-out-crash.test.ts',
  'test/integration/poison-records.test.ts',
  'test/integration/projections-rebuild.test.ts',
];

ensureNodeModules();
ensureChromium();
const started = stackUp();
let exitCode;
try {
  // The gate first: a schema change that breaks readers fails the run before the build and the tests.
  // The stack is up by now, so the registry's verdict is required too.
  const gate = spawnSync(process.execPath, ['scripts/schemas-check.mjs', '--require-registry'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (gate.status === 0) {
    build();
    // HOOKSTREAM_TEST_FULL: tests with a quick and a long form (the API fuzzing, the faults) take the long one.
    const env = { ...process.env, HOOKSTREAM_LOCAL: '1', HOOKSTREAM_TEST_FULL: isFull ? '1' : '' };
    const shared = isFull ? ['unit', 'integration', 'full'] : ['unit', 'integration'];
    // The fault suite stops and starts services of throwaway stacks of its own, so it runs beside the rest
    // (mostly waiting on timers and restarts) instead of after it: the run takes minutes less. Some
    // integration tests join it there, so that both lanes take about as long.
    // A run given its own jest arguments (a path, a -t) keeps the two lanes to their projects.
    const rebalanced = jestArgs.length === 0;
    const [main, faults] = await Promise.all([
      runJest(shared, env, { buffered: false }, rebalanced ? ['--testPathIgnorePatterns', ...BESIDE_FAULTS] : []),
      rebalanced
        ? runJest(['faults', 'integration'], env, { buffered: true }, ['--', 'test/faults/', ...BESIDE_FAULTS])
        : runJest(['faults'], env, { buffered: true }, []),
    ]);
    exitCode = main || faults;
  } else {
    console.error('npm test: the schemas compatibility gate failed (npm run schemas:check), see above');
    exitCode = gate.status || 1;
  }
} finally {
  // Never stop a stack this run did not start: a developer's running stack survives.
  stackDown(started);
}
process.exit(exitCode);

/**
 * One jest run over `projects`; its exit code. A buffered run prints its output in one piece once it has
 * finished, between two lines of the other, so that neither's report is cut up by the other's.
 * `--forceExit`: on 2 cores jest runs the files in its own process, so an `afterAll` that failed half-way
 * (a receiver left listening) would otherwise keep the finished run alive until CI's time limit.
 */
function runJest(projects, env, { buffered }, laneArgs) {
  const child = spawn(
    process.execPath,
    [
      'node_modules/jest/bin/jest.js',
      '--passWithNoTests',
      '--forceExit',
      '--selectProjects',
      ...projects,
      ...jestArgs,
      ...laneArgs,
    ],
    {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines = [];
  for (const [stream, target] of [
    [child.stdout, process.stdout],
    [child.stderr, process.stderr],
  ]) {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
      buffered ? lines.push([target, line]) : target.write(`${line}\n`),
    );
  }
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      for (const [target, line] of lines) target.write(`${line}\n`);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
