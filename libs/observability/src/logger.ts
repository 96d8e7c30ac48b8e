import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry an endpoint secret (`whsec_…`), an API key (`sk_…`) or a token, should a
 * request, a header set or a config ever be logged: pino writes `[Redacted]` in their place.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'secret',
  '*.secret',
  'secrets',
  '*.secrets',
  'masterKey',
  '*.masterKey',
  'apiKey',
  '*.apiKey',
  'key',
  '*.key',
  'token',
  '*.token',
  'adminToken',
  '*.adminToken',
];

/** One JSON log line per record on stdout (or `destination`); the app name on every line. */
export function createLogger(app: string, level = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: [...REDACTED_PATHS] },
    },
    destination,
  );
}

/** Routes Nest's own log calls into the app's pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
