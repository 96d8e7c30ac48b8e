import type { EndpointDisabled, TopicNames } from '@hookstream/contracts';
import type { AvroCodec, Publisher, RegisteredSchema } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import { ExclusiveSweep } from '../exclusive-sweep';
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
  private readonly sweep: ExclusiveSweep;
  /** Endpoint id → the row version it was asked to be disabled at: not asked twice while the log catches up. */
  private requested = new Map<string, string>();

  constructor(private readonly options: EndpointHealthSweeperOptions) {
    this.sweep = new ExclusiveSweep({
      name: 'endpoint health sweep',
      db: options.db,
      lock: ENDPOINT_HEALTH_SWEEP_LOCK,
      intervalMs: options.intervalMs,
      logger: options.logger,
      work: () => this.disableFailingEndpoints(),
      onOutcome: (outcome) => options.metrics.sweeps.inc({ outcome }),
    });
  }

  start(): void {
    this.sweep.start();
  }

  stop(): Promise<void> {
    return this.sweep.stop();
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
