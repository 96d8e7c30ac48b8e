import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';

/** Why a publish request was refused, from its status (guards and pipes answer before the service runs). */
export function ingestErrorReason(statusCode: number): string | undefined {
  if (statusCode < 400) return undefined;
  if (statusCode === 401 || statusCode === 403) return 'unauthorized';
  if (statusCode === 409) return 'conflict';
  // The tenant's ingest limit, or the caller's address blocked for failed authentications.
  if (statusCode === 429) return 'rate_limited';
  if (statusCode >= 500) return 'publish_failure';
  if (statusCode === 400 || statusCode === 413 || statusCode === 422) return 'validation';
  return 'other';
}

/** `hookstream_events_ingested_total{type,environment}` and `hookstream_ingest_errors_total{reason}`. */
export class IngestMetrics {
  readonly ingested: Counter<'type' | 'environment'>;
  private readonly errors: Counter<'reason'>;

  constructor(registry: Registry) {
    this.ingested = new Counter({
      name: 'hookstream_events_ingested_total',
      help: 'Events accepted into the events topic, by type and environment',
      labelNames: ['type', 'environment'],
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'hookstream_ingest_errors_total',
      help: 'Refused publish requests (POST /v1/events): validation, unauthorized, conflict (Idempotency-Key), rate_limited, publish_failure',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  /** Middleware for the app: counts each refused `POST /v1/events` once its answer is sent. */
  countErrors() {
    return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
      const isPublish = req.method === 'POST' && (req.url ?? '').split('?')[0]?.replace(/\/$/, '') === '/v1/events';
      if (isPublish) {
        res.on('finish', () => {
          const reason = ingestErrorReason(res.statusCode);
          if (reason) this.errors.inc({ reason });
        });
      }
      next();
    };
  }
}
