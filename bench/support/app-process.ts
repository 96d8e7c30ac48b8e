import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { APP_NODE_OPTIONS } from '../../libs/app-runtime/src/node-options';

export interface AppProcess {
  readonly baseUrl: string;
  readonly pid: number;
  /** The last lines it wrote (warnings and errors only: LOG_LEVEL=warn). */
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_KEPT_CHARS = 16_000;

/**
 * A built app as its own process, as `npm start` runs it, in local mode on a free port (given in
 * `portVariable`) with the benchmark's environment; resolves once /health/ready answers.
 */
export async function startBuiltApp(options: {
  app: 'producer' | 'dispatcher' | 'retry-scheduler';
  portVariable: string;
  env: NodeJS.ProcessEnv;
  /** Aborted while waiting for it to be ready: it is stopped, and the start fails. */
  signal?: AbortSignal;
  readyTimeoutMs?: number;
  /** Options for node itself, such as `--cpu-prof` to profile the app. */
  nodeArgs?: readonly string[];
}): Promise<AppProcess> {
  const entry = join(__dirname, `../../apps/${options.app}/src/main.js`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm run bench does)`);
  const port = await freePort();
  const child = spawn(process.execPath, [...APP_NODE_OPTIONS, ...(options.nodeArgs ?? []), entry], {
    env: {
      ...process.env,
      HOOKSTREAM_LOCAL: '1',
      LOG_LEVEL: 'warn',
      ...options.env,
      [options.portVariable]: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-OUTPUT_KEPT_CHARS));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hasExited = () => child.exitCode !== null || child.signalCode !== null;
  const stop = async () => {
    if (hasExited()) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (options.signal?.aborted) {
      await stop();
      throw options.signal.reason;
    }
    if (hasExited()) {
      throw new Error(`the ${options.app} exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    const response = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
    if (response?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the ${options.app} was not ready within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { baseUrl, pid: child.pid as number, output: () => output, stop };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}
