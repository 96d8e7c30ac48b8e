import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AppName } from '../../support/app-process';
import { freePort } from '../../support/ports';
import { repoRoot } from '../../support/stack';
import { waitFor } from '../../support/wait-for';
import type { FaultStack } from './fault-stack';

export const APPS: readonly AppName[] = ['producer', 'dispatcher', 'retry-scheduler'];

/** The three apps under `npm start`'s supervisor (scripts/start.mjs), on the fault stack. */
export interface SupervisedEngine {
  /** The REST API. */
  readonly baseUrl: string;
  /** Each app's HTTP port (health and metrics; the producer's is the API's too). */
  readonly ports: Readonly<Record<AppName, number>>;
  /** The app's own node process id, from the supervisor's pid file. */
  pidOf(app: AppName): number | undefined;
  /** Resolves once the app answers /health/ready. */
  waitReady(app: AppName, timeoutMs?: number): Promise<void>;
  /**
   * `kill -9` of the app, then waits until the supervisor has started a new process and it is ready.
   * Resolves with the time from the kill to that readiness.
   */
  kill9(app: AppName): Promise<number>;
  /** The end of the app's log, for a failure's message. */
  logTail(app: AppName, lines?: number): string;
  /** What the supervisor printed. */
  output(): string;
  /** Every app exit the supervisor saw so far, oldest first (`dispatcher exited (SIGKILL)`). */
  exits(): string[];
  /** Stops the supervisor (which stops the apps); kills any app left behind. */
  stop(): Promise<void>;
}

/**
 * Settings of the fault suite's engine. The circuit breaker would park a flaky endpoint's deliveries
 * for its probe interval, hiding the retry schedule the scenarios check; it has tests of its own.
 */
const FAULT_ENGINE_ENV = {
  HOOKSTREAM_LOCAL: '1',
  KAFKA_TOPIC_PARTITIONS: '4',
  CIRCUIT_FAILURE_THRESHOLD: '10000',
};

export async function startSupervisedEngine(
  stack: FaultStack,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<SupervisedEngine> {
  const ports: Record<AppName, number> = {
    producer: await freePort(),
    dispatcher: await freePort(),
    'retry-scheduler': await freePort(),
  };
  const env = {
    ...stack.env,
    ...FAULT_ENGINE_ENV,
    PORT: String(ports.producer),
    DISPATCHER_PORT: String(ports.dispatcher),
    RETRY_SCHEDULER_PORT: String(ports['retry-scheduler']),
    GRPC_PORT: String(await freePort()),
    // Its own key, so the shared stack's key file is never written.
    SECRETS_KEY_FILE: join(stack.dir, 'secrets.key'),
    ...extraEnv,
  };
  // --no-build: the test run built dist/ already, and other tests may be running from it.
  const supervisor = spawn(process.execPath, [join(repoRoot, 'scripts/start.mjs'), '--no-build'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  supervisor.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  supervisor.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const pidFile = (app: AppName) => join(stack.dir, 'run', `${app}.pid`);
  const pidOf = (app: AppName) => {
    const file = pidFile(app);
    if (!existsSync(file)) return undefined;
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
  };
  const logTail = (app: AppName, lines = 30) => {
    const file = join(stack.dir, 'logs', `${app}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
  };
  const isReady = async (app: AppName) => {
    const response = await fetch(`http://127.0.0.1:${ports[app]}/health/ready`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  };
  const waitReady = async (app: AppName, timeoutMs = 90_000) => {
    await waitFor(`${app} ready under the supervisor`, () => pidOf(app) !== undefined && isReady(app), {
      timeoutMs,
      intervalMs: 100,
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- supervisor ---\n${output}\n--- ${app} log ---\n${logTail(app)}`);
    });
  };

  const engine: SupervisedEngine = {
    baseUrl: `http://127.0.0.1:${ports.producer}`,
    ports,
    pidOf,
    waitReady,
    logTail,
    output: () => output,
    exits: () => [...output.matchAll(/^(\S+ exited \([^)]*\))/gm)].map((match) => match[1] as string),
    async kill9(app) {
      const victim = pidOf(app);
      if (victim === undefined) throw new Error(`${app} is not running`);
      const killedAt = Date.now();
      process.kill(victim, 'SIGKILL');
      await waitFor(
        `${app} restarted by the supervisor`,
        () => {
          const pid = pidOf(app);
          return pid !== undefined && pid !== victim;
        },
        { timeoutMs: 90_000, intervalMs: 50 },
      );
      await waitReady(app);
      return Date.now() - killedAt;
    },
    stop: () => stopSupervisor(supervisor, () => APPS.map(pidOf)),
  };
  try {
    await waitFor('the supervisor to report hookstream running', () => output.includes('hookstream is running'), {
      timeoutMs: 180_000,
      intervalMs: 200,
    });
    for (const app of APPS) await waitReady(app);
  } catch (error) {
    await engine.stop();
    throw error;
  }
  return engine;
}

async function stopSupervisor(supervisor: ChildProcess, appPids: () => (number | undefined)[]): Promise<void> {
  const leftBehind = appPids();
  if (supervisor.exitCode === null && supervisor.signalCode === null) {
    const exited = new Promise((resolve) => supervisor.once('exit', resolve));
    supervisor.kill('SIGTERM');
    // It gives the apps 15 s to stop before killing them.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 25_000)))]);
    clearTimeout(timer);
    if (supervisor.exitCode === null && supervisor.signalCode === null) supervisor.kill('SIGKILL');
  }
  for (const pid of [...leftBehind, ...appPids()]) {
    if (pid !== undefined && isAppProcess(pid)) process.kill(pid, 'SIGKILL');
  }
}

/** Still one of our apps (a pid can be reused once its process is gone). */
function isAppProcess(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(join(repoRoot, 'dist/apps/'));
  } catch {
    return false;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
