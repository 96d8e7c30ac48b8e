// The integration tests' environment: Node's, plus a last word once a test file is done, after its own
// clean-up. An app a test started but never got to stop (a set-up that failed half-way) would keep jest
// waiting, and the CI lane with it: whatever app of the file still runs then is killed.
import type { ChildProcess } from 'node:child_process';
import { TestEnvironment } from 'jest-environment-node';

/** Where app-process.ts registers the processes it starts, in the test file's global. */
const STARTED_APPS = '__hookstreamStartedApps';

export default class IntegrationEnvironment extends TestEnvironment {
  override async setup(): Promise<void> {
    await super.setup();
    this.global[STARTED_APPS] = new Set<ChildProcess>();
  }

  override async teardown(): Promise<void> {
    const started = this.global[STARTED_APPS] as Set<ChildProcess> | undefined;
    for (const child of started ?? []) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      process.stderr.write(`integration environment: killing ${child.spawnargs.join(' ')}, left running\n`);
      child.kill('SIGKILL');
    }
    await super.teardown();
  }
}
