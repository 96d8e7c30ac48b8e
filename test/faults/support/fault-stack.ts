import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, throwawayStackEnv } from '../../support/stack';

export type StackService = 'postgres' | 'kafka' | 'registry';

/**
 * A throwaway stack of its own (Kafka, registry, a private Postgres, on free ports, in a temp dir):
 * faults stop and start its services, which the shared stack's other tests must never see.
 */
export interface FaultStack {
  readonly dir: string;
  /** What the stack script and the apps read to find this stack. */
  readonly env: NodeJS.ProcessEnv;
  /** Stops one service (as `stack.mjs down --only`); resolves with how long that took. */
  stop(service: StackService): Promise<number>;
  /** Starts whatever is down again (as `stack.mjs up`), ready by its probes; resolves with how long that took. */
  start(): Promise<number>;
  /** Stops everything and removes the directory. */
  destroy(): Promise<void>;
}

export async function startFaultStack(): Promise<FaultStack> {
  const dir = mkdtempSync(join(tmpdir(), 'hookstream-faults-'));
  // The private Postgres runs as the postgres user when the tests run as root: it must reach its directory.
  chmodSync(dir, 0o755);
  const env = await throwawayStackEnv(dir);
  const stack: FaultStack = {
    dir,
    env,
    stop: (service) => stackScript(['down', '--only', service], env),
    start: () => stackScript(['up'], env),
    destroy: async () => {
      await stackScript(['down'], env).catch((error: Error) => console.error(error.message));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await stack.start();
  } catch (error) {
    await stack.destroy();
    throw error;
  }
  return stack;
}

/**
 * The stack script, asynchronously: a fault stops a service while load runs in this process, so the
 * event loop (the receiver, the load generator) must keep going meanwhile.
 */
function stackScript(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts/stack.mjs'), ...args], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(Date.now() - started)
        : reject(new Error(`stack.mjs ${args.join(' ')} failed (exit ${code}):\n${output}`)),
    );
  });
}

export interface Outage {
  /** When the service was stopped (its stop complete). */
  readonly downAt: number;
  /** When it was ready again. */
  readonly upAt: number;
}

/**
 * Stops one service, keeps it down for `downMs` (from the moment it is stopped), starts it again.
 * `during` runs while it is down (probes, app restarts) and is awaited before the service comes back.
 */
export async function outage(
  stack: FaultStack,
  service: StackService,
  downMs: number,
  during: (downAt: number) => Promise<void> = async () => undefined,
): Promise<Outage> {
  await stack.stop(service);
  const downAt = Date.now();
  const wait = new Promise((resolve) => setTimeout(resolve, downMs));
  await Promise.all([wait, during(downAt)]);
  await stack.start();
  return { downAt, upAt: Date.now() };
}
