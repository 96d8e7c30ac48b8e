#!/usr/bin/env node
// `npm test`: install what is missing, bring the stack up if it is not, run the schemas' compatibility
// gate, build, run jest (unit and integration, plus the long scenarios with --full), then stop only
// what this run started.
import { spawnSync } from 'node:child_process';
import { build, ensureChromium, ensureNodeModules, stackDown, stackUp } from './setup.mjs';
import { repoRoot } from './stack/config.mjs';

const isFull = process.argv.includes('--full');
const jestArgs = process.argv.slice(2).filter((arg) => arg !== '--full');

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
    // The fault suite runs on its own throwaway stack: its quick form here, its long form with --full.
    const projects = isFull ? ['unit', 'integration', 'full', 'faults'] : ['unit', 'integration', 'faults'];
    const jest = spawnSync(
      process.execPath,
      ['node_modules/jest/bin/jest.js', '--selectProjects', ...projects, ...jestArgs],
      // HOOKSTREAM_TEST_FULL: tests with a quick and a long form (the API fuzzing, the faults) take the long one.
      {
        cwd: repoRoot,
        stdio: 'inherit',
        env: { ...process.env, HOOKSTREAM_LOCAL: '1', HOOKSTREAM_TEST_FULL: isFull ? '1' : '' },
      },
    );
    exitCode = jest.status ?? 1;
  } else {
    console.error('npm test: the schemas compatibility gate failed (npm run schemas:check), see above');
    exitCode = gate.status || 1;
  }
} finally {
  // Never stop a stack this run did not start: a developer's running stack survives.
  stackDown(started);
}
process.exit(exitCode);
