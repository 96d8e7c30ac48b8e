import { type AppProcess, freePort, startBuiltApp } from './app-process';

export type ProducerProcess = AppProcess;

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
  nodeArgs?: readonly string[];
}): Promise<ProducerProcess> {
  return startBuiltApp({
    app: 'producer',
    portVariable: 'PORT',
    env: {
      KAFKA_TOPIC_PREFIX: options.topicPrefix,
      KAFKA_TOPIC_PARTITIONS: String(options.topicPartitions),
      GRPC_PORT: String(await freePort()),
      DATABASE_URL: options.databaseUrl,
      // Benchmarks measure capacity: a tenant's ingest quota would cap the figure, not the engine.
      INGEST_RATE_LIMIT_PER_SECOND: '1000000',
    },
    signal: options.signal,
    readyTimeoutMs: options.readyTimeoutMs,
    nodeArgs: options.nodeArgs,
  });
}
