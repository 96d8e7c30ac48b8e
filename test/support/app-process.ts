import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { APP_NODE_OPTIONS } from '../../libs/app-runtime/src/node-options';
import { freePort } from './ports';
import { repoRoot } from './stack';
import { waitFor } from './wait-for';

export type AppName = 'producer' | 'dispatcher' | 'retry-scheduler';

export interface RunningApp {
  readonly name: AppName;
  readonly process: ChildProcess;
  readonly output: () => string;
  /** The exit code (or signal) once it has stopped by itself. */
  exited(): Promise<number | NodeJS.Signals | null>;
  /** SIGTERM, then the exit code (or signal) once it has stopped; throws, with its output, if its stop was stuck. */
  stop(): Promise<number | NodeJS.Signals | null>;
}

/** Filled in by the integration environment (integration-environment.ts), which kills what is left running. */
const startedApps = (globalThis as { __hookstreamStartedApps?: Set<ChildProcess> }).__hookstreamStartedApps;

/** Starts a built app (dist/) as its own process, as `npm start` does. */
export function startApp(name: AppName, env: NodeJS.ProcessEnv): RunningApp {
  const entry = join(repoRoot, `dist/apps/${name}/src/main.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [...APP_NODE_OPTIONS, entry], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  startedApps?.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return {
    name,
    process: child,
    output: () => output,
    exited: () => exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const result = await exited;
      // An app stuck stopping exits 1 once its stop deadline passes, naming the step it was stuck on.
      if (result === 1) throw new Error(`${name} did not stop cleanly\n--- ${name} output ---\n${output.slice(-4000)}`);
      return result;
    },
  };
}

export async function waitUntilReady(port: number, app: RunningApp, timeoutMs = 60_000): Promise<void> {
  try {
    await waitUntilAnswering(port, app, timeoutMs);
  } catch (error) {
    // Never leave it running: the test cannot stop an app it never got, and jest would wait for it.
    app.process.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${app.name} output ---\n${app.output().slice(-4000)}`, {
      cause: error,
    });
  }
}

async function waitUntilAnswering(port: number, app: RunningApp, timeoutMs: number): Promise<void> {
  await waitFor(
    `${app.name} /health/ready on port ${port}`,
    async () => {
      if (app.process.exitCode !== null || app.process.signalCode !== null) {
        throw new Error(`${app.name} exited (${app.process.exitCode ?? app.process.signalCode})`);
      }
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return response.ok;
    },
    { timeoutMs, intervalMs: 200 },
  );
}

/** The producer on free ports, with its own topic prefix (2 partitions a topic), ready to serve. */
export async function startProducer(
  prefix: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ app: RunningApp; baseUrl: string; grpcAddress: string }> {
  const { app, port, grpcPort } = await launchProducer(prefix, extraEnv);
  await waitUntilReady(port, app);
  return { app, baseUrl: `http://127.0.0.1:${port}`, grpcAddress: `127.0.0.1:${grpcPort}` };
}

/** The producer on free ports with its own topic prefix, without waiting for it. */
export async function launchProducer(
  prefix: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ app: RunningApp; port: number; grpcPort: number }> {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const app = startApp('producer', {
    ...process.env,
    HOOKSTREAM_LOCAL: '1',
    LOG_LEVEL: 'warn',
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '2',
    PORT: String(port),
    GRPC_PORT: String(grpcPort),
    ...extraEnv,
  });
  return { app, port, grpcPort };
}

/** The dispatcher on a free port (its health and metrics port) with its own topic prefix, ready. */
export async function startDispatcher(
  prefix: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<RunningApp & { port: number }> {
  const port = await freePort();
  const app = startApp('dispatcher', {
    ...process.env,
    HOOKSTREAM_LOCAL: '1',
    LOG_LEVEL: 'warn',
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '2',
    DISPATCHER_PORT: String(port),
    ...extraEnv,
  });
  await waitUntilReady(port, app);
  return { ...app, port };
}

/** The retry scheduler on a free port (its health and metrics port) with its own topic prefix, ready. */
export async function startRetryScheduler(
  prefix: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<RunningApp & { port: number }> {
  const port = await freePort();
  const app = startApp('retry-scheduler', {
    ...process.env,
    HOOKSTREAM_LOCAL: '1',
    LOG_LEVEL: 'warn',
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_TOPIC_PARTITIONS: '2',
    RETRY_SCHEDULER_PORT: String(port),
    ...extraEnv,
  });
  await waitUntilReady(port, app);
  return { ...app, port };
}
