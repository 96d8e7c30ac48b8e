import type { DynamicModule, INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createLogger, PinoNestLogger, type Logger } from '@hookstream/observability';
import { ConfigError } from '@hookstream/settings';
import { type Closeable, closeInOrder } from './close-in-order';

/** A stop that takes longer is stuck; an orchestrator's grace period (Kubernetes: 30 s) ends it anyway. */
const DEFAULT_STOP_DEADLINE_MS = 30_000;

export interface AppComposition {
  readonly module: DynamicModule;
  /** Closed in order after the HTTP server stops (consumers first, then clients, then pools). */
  readonly closeables: readonly Closeable[];
  /** Filters, pipes, body parsers, OpenAPI: whatever the app sets up before it listens. */
  configure?(app: INestApplication): void;
  /** Runs once the app listens (consumers that should start only when health answers). */
  afterListen?(): Promise<void>;
}

export interface RunAppOptions {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly logLevel: string;
  /** How long an orderly stop may take before the app exits 1, naming the step it was stuck on (30 s by default). */
  readonly stopDeadlineMs?: number;
  /** The composition root: connects clients, builds the app module. */
  compose(logger: Logger): Promise<AppComposition>;
}

/** Starts one hookstream app: its composition, its HTTP port, an orderly stop on SIGTERM/SIGINT. */
export async function runApp(options: RunAppOptions): Promise<void> {
  const logger = createLogger(options.name, options.logLevel);
  let composition: AppComposition;
  try {
    composition = await options.compose(logger);
  } catch (error) {
    logger.fatal({ err: error }, `${options.name} could not start`);
    process.exit(1);
  }
  const app = await NestFactory.create(composition.module, { logger: new PinoNestLogger(logger), bodyParser: false });

  // Installed before anything listens or consumes: a SIGTERM during start-up is an orderly stop too.
  let isStopping = false;
  const stop = async (signal: string) => {
    if (isStopping) return;
    isStopping = true;
    logger.info({ signal }, `${options.name} stopping`);
    const deadlineMs = options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
    const { stuckOn } = await closeInOrder(
      [['HTTP server', () => app.close()], ...composition.closeables],
      logger,
      deadlineMs,
    );
    if (stuckOn !== undefined) {
      logger.error(
        { step: stuckOn, deadlineMs },
        `${options.name} did not stop within ${deadlineMs} ms: ${stuckOn} still closing`,
      );
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));

  composition.configure?.(app);
  await app.startAllMicroservices();
  await app.listen(options.port, options.host);
  logger.info({ port: options.port }, `${options.name} listening on ${await app.getUrl()}`);
  try {
    await composition.afterListen?.();
  } catch (error) {
    if (isStopping) return;
    logger.fatal({ err: error }, `${options.name} could not start`);
    process.exit(1);
  }
}

/** Parses configuration before anything starts; a bad value ends the process with a clear message. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
