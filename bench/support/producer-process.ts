import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface ProducerProcess {
  readonly baseUrl: string;
  /** The last lines it wrote (warnings and errors only: LOG_LEVEL=warn). */
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_KEPT_CHARS = 16_000;

/**
 * The built producer (REST API, fan-out, projector) as its own process, as `npm start` runs it, on free ports
 * with the benchmark's topic prefix and database; resolves once /health/ready answers.
 */
export async function startProducer(options: {
  topicPrefix: string;
  topicPartitions: number;
  databaseUrl: string;
  /** Aborted while waiting for it to be ready: it is stopped, and the start fails. */
  signal?: AbortSignal;
  readyTimeoutMs?: number;
}): Promise<ProducerProcess> {
  const entry = join(__dirname, '../../apps/producer/src/main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first (npm run bench does)`);
  const [port, grpcPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      HOOKSTREAM_LOCAL: '1',
      LOG_LEVEL: 'warn',
      KAFKA_TOPIC_PREFIX: options.topicPrefix,
      KAFKA_TOPIC_PARTITIONS: String(options.topicPartitions),
      PORT: String(port),
      GRPC_PORT: String(grpcPort),
      DATABASE_URL: options.databaseUrl,
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
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (options.signal?.aborted) {
      await stop();
      throw options.signal.reason;
    }
    if (hasExited()) {
      throw new Error(`the producer exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    const response = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
    if (response?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the producer was not ready within ${options.readyTimeoutMs ?? 120_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { baseUrl, output: () => output, stop };
}

function freePort(): Promise<number> {
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
