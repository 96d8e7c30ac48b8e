import type { EndpointDisabled, TopicNames } from '@hookstream/contracts';
import type { AvroCodec, Publisher, RegisteredSchema } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import { type Pool, whileHoldingAdvisoryLock } from '@hookstream/postgres';
import type { Counter } from 'prom-client';
import type { EndpointsRepository } from './endpoints.repository';

/**
 * Held for the length of one sweep, so that one producer at a time sweeps. Any constant, distinct
 * from the migration and projection locks.
 */
export const ENDPOINT_HEALTH_SWEEP_LOCK = 0x73776570;

/** Endpoints disabled per sweep at most; the next sweep takes the rest. */
const MAX_PER_SWEEP = 500;

export interface EndpointHealthSweeperOptions {
  readonly db: Pool;
  readonly repository: EndpointsRepository;
  readonly publisher: Publisher;
  readonly codec: AvroCodec;
  readonly schema: RegisteredSchema;
  readonly topics: TopicNames;
  readonly logger: Logger;
  /** Failing continuously this long disables an endpoint; `disableAfter` is the same, as configured. */
  readonly disableAfterMs: number;
  readonly disableAfter: string;
  readonly intervalMs: number;
  readonly metrics: {
    readonly sweeps: Counter<'outcome'>;
    readonly disabled: Counter;
  };
}

/**
 * Disables endpoints whose every attempt failed for the configured window. It asks rather than acts:
 * `EndpointDisabled` on the delivery log, as the dispatcher does for a 410 Gone, which the
 * endpoint-status consumer applies to configuration (and the outbox to the other apps).
 */
export class EndpointHealthSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private isStopped = false;
  /** Endpoint id → the row version it was asked to be disabled at: not asked twice while the log catches up. */
  private requested = new Map<string, string>();

  constructor(private readonly options: EndpointHealthSweeperOptions) {}

  start(): void {
    this.isStopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    // One sweep after another, never two at once, however long one takes.
    this.timer = setTimeout(() => {
      this.running = this.sweep().finally(() => {
        this.running = undefined;
        if (!this.isStopped) this.schedule();
      });
    }, this.options.intervalMs);
  }

  private async sweep(): Promise<void> {
    const { db, logger, metrics } = this.options;
    try {
      const swept = await whileHoldingAdvisoryLock(db, ENDPOINT_HEALTH_SWEEP_LOCK, () =>
        this.disableFailingEndpoints(),
      );
      metrics.sweeps.inc({ outcome: swept ? 'completed' : 'locked' });
    } catch (error) {
      logger.warn({ err: error }, 'endpoint health sweep failed; will sweep again');
      metrics.sweeps.inc({ outcome: 'failed' });
    }
  }

  private async disableFailingEndpoints(): Promise<void> {
    const { repository, publisher, codec, schema, topics, logger, metrics } = this.options;
    const failing = await repository.continuouslyFailing(this.options.disableAfterMs, MAX_PER_SWEEP);
    const toDisable = failing.filter((endpoint) => this.requested.get(endpoint.id) !== endpoint.version);
    // Endpoints no longer failing (disabled by now, or recovered) are forgotten.
    this.requested = new Map(
      failing.flatMap((endpoint) => {
        const version = this.requested.get(endpoint.id);
        return version === undefined ? [] : [[endpoint.id, version] as const];
      }),
    );
    if (toDisable.length === 0) return;
    const reason = `every delivery failed for ${this.options.disableAfter}`;
    const disabledAt = Date.now();
    const messages = await Promise.all(
      toDisable.map(async (endpoint) => {
        const record: EndpointDisabled = {
          endpointId: endpoint.id,
          tenantId: endpoint.tenant_id,
          environment: endpoint.environment,
          reason,
          disabledAt,
        };
        return { key: endpoint.id, value: await codec.encode(schema.id, record) };
      }),
    );
    await publisher.publish(topics.deliveryEvents, messages);
    for (const endpoint of toDisable) {
      this.requested.set(endpoint.id, endpoint.version);
      metrics.disabled.inc();
      logger.info({ endpointId: endpoint.id, tenantId: endpoint.tenant_id, reason }, 'disabling a failing endpoint');
    }
  }
}
