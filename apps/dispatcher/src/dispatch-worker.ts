import {
  deliveryRefOf,
  orderingRecordKey,
  type OrderedDeliveryFinished,
  type AttemptFailed,
  type AttemptSucceeded,
  type DeliveryExhausted,
  type DispatchRequested,
  type EventCatalogue,
  type RetryRequested,
  type RetryScheduled,
  type TopicNames,
} from '@hookstream/contracts';
import { decideRetry, type ExhaustedReason, tierMs } from '@hookstream/delivery';
import {
  type AvroCodec,
  decodeOrPoison,
  type KafkaMessage,
  type Publisher,
  type QuarantineWriter,
  type RegisteredSchemas,
} from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { Counter, Gauge, Histogram } from 'prom-client';
import type { DispatcherConfig } from './config';
import { EndpointLane } from './endpoint-lane';
import { RecentAttempts } from './recent-attempts';
import type { EndpointRegistry, LiveEndpoint, SigningSecret } from './endpoint-registry';
import type { HttpSender, SendOutcome } from './http-sender';
import { buildWebhookRequest } from './webhook-request';

export interface DispatchMetrics {
  readonly attempts: Counter<'outcome' | 'error_class'>;
  readonly attemptSeconds: Histogram<'outcome'>;
  readonly parked: Gauge;
  readonly duplicateDispatches: Counter;
  /** Deliveries at the end of a dispatch: succeeded, retry_scheduled, exhausted or dropped. */
  readonly deliveries: Counter<'outcome'>;
}

/** What became of a dispatched delivery once its records are durable. */
export type DeliveryOutcome = 'succeeded' | 'retry_scheduled' | 'exhausted' | 'dropped';

export interface DispatchWorkerDeps {
  readonly config: DispatcherConfig;
  readonly registry: EndpointRegistry;
  readonly sender: HttpSender;
  readonly codec: AvroCodec;
  readonly schemas: RegisteredSchemas;
  readonly catalogue: EventCatalogue;
  readonly publisher: Publisher;
  readonly topics: TopicNames;
  readonly logger: Logger;
  readonly metrics: DispatchMetrics;
  /** Sets aside dispatch requests that can never be decoded; `groupId` is recorded with them. */
  readonly quarantine: QuarantineWriter;
  readonly groupId: string;
}

/**
 * One dispatch request, start to finish: wait for the endpoint's lane, sign and send, append the
 * attempt's outcome to the delivery log, then the retry (to its tier) or the exhaustion. Resolves
 * once all of that is durable in Kafka; the consumer commits the offset only then.
 */
export class DispatchWorker {
  private readonly lanes = new Map<string, EndpointLane>();
  private readonly recentAttempts: RecentAttempts;
  private parked = 0;

  constructor(private readonly deps: DispatchWorkerDeps) {
    deps.registry.onChange = (endpointId) => this.lanes.get(endpointId)?.reset();
    this.recentAttempts = new RecentAttempts(deps.config.recentAttempts);
  }

  /** Deliveries waiting on an open circuit. */
  get parkedCount(): number {
    return this.parked;
  }

  /** Endpoints whose circuit is open now. */
  get openCircuits(): number {
    let open = 0;
    for (const lane of this.lanes.values()) if (lane.isCircuitOpen) open++;
    return open;
  }

  async handle(message: KafkaMessage, partition: number): Promise<void> {
    if (!message.value) return;
    const decoded = await decodeOrPoison(message.value, (bytes) => this.deps.codec.decode<DispatchRequested>(bytes));
    if (decoded.failure) {
      // Quarantined before it counts as done: the offset commits past it, and the partition moves on.
      const { reason } = decoded.failure;
      this.deps.logger.warn({ partition, offset: message.offset, reason }, 'dispatch request quarantined');
      const source = { partition, group: this.deps.groupId };
      return this.deps.quarantine.put(this.deps.topics.dispatch, message, reason, source);
    }
    const { value: dispatch } = decoded.value;
    const endpoint = await this.deps.registry.current(dispatch.endpointId);
    if (!endpoint) return this.drop(dispatch, 'endpoint_deleted');
    if (endpoint.config.status === 'disabled') return this.drop(dispatch, 'endpoint_disabled');
    const lane = this.laneOf(dispatch.endpointId);
    await lane.enter(endpoint.config.rateLimitPerSecond);
    // It may have waited on an open circuit: the endpoint as it is now.
    const live = this.deps.registry.get(dispatch.endpointId);
    if (!live || live.config.status === 'disabled') {
      lane.leave();
      return this.drop(dispatch, live ? 'endpoint_disabled' : 'endpoint_deleted');
    }
    // A redrive while a scheduled retry waits dispatches the same attempt twice: send it once.
    const attemptKey = `${dispatch.deliveryId}#${dispatch.attempt}`;
    if (!this.recentAttempts.claim(attemptKey)) {
      lane.leave();
      this.deps.metrics.duplicateDispatches.inc();
      this.deps.logger.info(
        { deliveryId: dispatch.deliveryId, attempt: dispatch.attempt },
        'attempt already made; duplicate dispatch skipped',
      );
      return;
    }
    try {
      await this.attempt(dispatch, lane, live);
    } catch (error) {
      // Not durable: the dispatch will be handled again, and must not count as a duplicate then.
      this.recentAttempts.release(attemptKey);
      throw error;
    }
  }

  /**
   * Not attempted: its endpoint is deleted or disabled. The delivery ends exhausted, with the reason, so that
   * its status says so and `recover` sends it once the endpoint is enabled again; an ordered delivery's key
   * moves on to the next.
   */
  private async drop(dispatch: DispatchRequested, reason: 'endpoint_deleted' | 'endpoint_disabled'): Promise<void> {
    const { codec, schemas, topics, publisher } = this.deps;
    const finished = this.orderedEnd(dispatch, 'dropped');
    const exhausted = codec.encode(schemas.internal['delivery-exhausted'].id, this.exhaustion(dispatch, reason));
    await Promise.all([
      exhausted.then((value) => publisher.publish(topics.deliveryEvents, [{ key: dispatch.deliveryId, value }])),
      finished?.then((record) => publisher.publish(topics.ordering, [record])),
    ]);
    this.deps.metrics.deliveries.inc({ outcome: 'dropped' });
    this.deps.logger.info(
      { deliveryId: dispatch.deliveryId, eventId: dispatch.eventId, endpointId: dispatch.endpointId, reason },
      'delivery not attempted: its endpoint is deleted or disabled',
    );
  }

  /** The record that ends a delivery after `attempts` attempts: this dispatch's, once made, or the ones before it. */
  private exhaustion(
    dispatch: DispatchRequested,
    reason: ExhaustedReason,
    attempts = dispatch.attempt - 1,
  ): DeliveryExhausted {
    return { attempts, exhaustedAt: Date.now(), reason, ...deliveryRefOf(dispatch) };
  }

  /** For an ordered delivery at its end, the record that lets the sequencer send the next one of its key. */
  private orderedEnd(
    dispatch: DispatchRequested,
    outcome: OrderedDeliveryFinished['outcome'],
  ): Promise<{ key: string; value: Buffer }> | undefined {
    const { orderingKey, sequence } = dispatch;
    if (!orderingKey || sequence === null || sequence === undefined) return undefined;
    const finished: OrderedDeliveryFinished = {
      orderingKey,
      sequence,
      outcome,
      finishedAt: Date.now(),
      ...deliveryRefOf(dispatch),
    };
    const { codec, schemas } = this.deps;
    return codec
      .encode(schemas.internal['ordered-delivery-finished'].id, finished)
      .then((value) => ({ key: orderingRecordKey(dispatch.endpointId, orderingKey), value }));
  }

  /** Sign and send, then append the outcome and what follows it (a retry, or the exhaustion). */
  private async attempt(dispatch: DispatchRequested, lane: EndpointLane, live: LiveEndpoint): Promise<void> {
    let outcome: SendOutcome;
    let attemptedAt: number;
    let request: Awaited<ReturnType<typeof buildWebhookRequest>>;
    try {
      attemptedAt = Date.now();
      request = await buildWebhookRequest(dispatch, this.validSecrets(live, attemptedAt), {
        codec: this.deps.codec,
        catalogue: this.deps.catalogue,
        userAgent: this.deps.config.userAgent,
        now: attemptedAt,
      });
      outcome = await this.deps.sender.send({
        url: live.config.url,
        body: request.body,
        headers: request.headers,
        timeoutMs: live.config.timeoutMs,
        allowPrivateAddresses: this.deps.config.isLocal && live.config.environment === 'sandbox',
      });
    } finally {
      lane.leave();
    }
    const circuit = lane.record(outcome.ok);
    this.deps.metrics.attempts.inc({
      outcome: outcome.ok ? 'succeeded' : 'failed',
      error_class: outcome.ok ? '' : outcome.errorClass,
    });
    this.deps.metrics.attemptSeconds.observe(
      { outcome: outcome.ok ? 'succeeded' : 'failed' },
      outcome.latencyMs / 1000,
    );

    const attempt: AttemptSucceeded = {
      attempt: dispatch.attempt,
      formatVersion: dispatch.formatVersion,
      attemptedAt,
      url: live.config.url,
      resolvedIp: outcome.resolvedIp,
      latencyMs: outcome.latencyMs,
      statusCode: outcome.statusCode,
      responseBody: outcome.responseBody,
      secretFingerprints: request.secretFingerprints,
      signedContentSha256: request.signedContentSha256,
      webhookTimestamp: request.webhookTimestamp,
      ...deliveryRefOf(dispatch),
    };
    const deliveryLog: { key: string; value: Buffer }[] = [];
    const writes: Promise<void>[] = [];
    const { codec, schemas, topics } = this.deps;
    const encode = (name: keyof RegisteredSchemas['internal'], value: unknown) =>
      codec.encode(schemas.internal[name].id, value);
    const ref = { endpointId: dispatch.endpointId, tenantId: dispatch.tenantId, environment: dispatch.environment };

    if (circuit.transition === 'opened') {
      deliveryLog.push({
        key: dispatch.endpointId,
        value: await encode('circuit-opened', {
          consecutiveFailures: circuit.consecutiveFailures,
          openedAt: Date.now(),
          ...ref,
        }),
      });
    } else if (circuit.transition === 'closed') {
      deliveryLog.push({
        key: dispatch.endpointId,
        value: await encode('circuit-closed', { closedAt: Date.now(), ...ref }),
      });
    }

    let delivery: DeliveryOutcome = 'succeeded';
    if (outcome.ok) {
      deliveryLog.push({ key: dispatch.deliveryId, value: await encode('attempt-succeeded', attempt) });
    } else {
      const failed: AttemptFailed = { errorClass: outcome.errorClass, error: outcome.error, ...attempt };
      deliveryLog.push({ key: dispatch.deliveryId, value: await encode('attempt-failed', failed) });
      const exhausted = async (reason: ExhaustedReason): Promise<{ key: string; value: Buffer }> => ({
        key: dispatch.deliveryId,
        value: await encode('delivery-exhausted', this.exhaustion(dispatch, reason, dispatch.attempt)),
      });
      if (outcome.statusCode === 410) {
        // The receiver says this endpoint is gone: stop retrying, and ask for it to be disabled.
        deliveryLog.push(
          {
            key: dispatch.endpointId,
            value: await encode('endpoint-disabled', { reason: '410 Gone', disabledAt: Date.now(), ...ref }),
          },
          await exhausted('endpoint_gone'),
        );
        delivery = 'exhausted';
      } else {
        const decision = decideRetry(
          {
            failedAttempt: dispatch.attempt,
            failedAt: attemptedAt + outcome.latencyMs,
            schedule: live.config.retrySchedule ?? this.deps.config.retrySchedule,
            retryAfterSeconds: outcome.retryAfterSeconds,
          },
          { jitter: this.deps.config.retryJitter, random: Math.random },
        );
        if (decision.kind === 'exhausted') {
          deliveryLog.push(await exhausted('retries_exhausted'));
          delivery = 'exhausted';
        } else {
          const [firstTier, ...remainingTiers] = decision.tiers;
          if (!firstTier) throw new Error('a retry without a tier');
          const scheduled: RetryScheduled = {
            attempt: decision.attempt,
            dueAt: decision.dueAt,
            tiers: [...decision.tiers],
            scheduledAt: Date.now(),
            ...deliveryRefOf(dispatch),
          };
          deliveryLog.push({ key: dispatch.deliveryId, value: await encode('retry-scheduled', scheduled) });
          const retry: RetryRequested = {
            formatVersion: dispatch.formatVersion,
            attempt: decision.attempt,
            event: dispatch.event,
            dueAt: Date.now() + tierMs(firstTier),
            remainingTiers,
            isTest: dispatch.isTest,
            orderingKey: dispatch.orderingKey ?? null,
            sequence: dispatch.sequence ?? null,
            ...deliveryRefOf(dispatch),
          };
          writes.push(
            this.deps.publisher.publish(topics.retry(firstTier), [
              { key: dispatch.endpointId, value: await encode('retry-requested', retry) },
            ]),
          );
          delivery = 'retry_scheduled';
        }
      }
    }
    writes.push(this.deps.publisher.publish(topics.deliveryEvents, deliveryLog));
    const finished = delivery === 'retry_scheduled' ? undefined : this.orderedEnd(dispatch, delivery);
    if (finished) writes.push(finished.then((record) => this.deps.publisher.publish(topics.ordering, [record])));
    await Promise.all(writes);
    // Counted once durable: a dispatch handled again after a failed write is not counted twice.
    this.deps.metrics.deliveries.inc({ outcome: delivery });
    const line = {
      deliveryId: dispatch.deliveryId,
      eventId: dispatch.eventId,
      endpointId: dispatch.endpointId,
      attempt: dispatch.attempt,
      statusCode: outcome.statusCode,
      latencyMs: outcome.latencyMs,
      outcome: delivery,
    };
    if (outcome.ok) this.deps.logger.debug(line, 'attempt succeeded');
    else this.deps.logger.info({ errorClass: outcome.errorClass, ...line }, 'attempt failed');
  }

  dispose(): void {
    for (const lane of this.lanes.values()) lane.dispose();
  }

  private laneOf(endpointId: string): EndpointLane {
    let lane = this.lanes.get(endpointId);
    if (!lane) {
      lane = new EndpointLane(this.deps.config.endpointConcurrency, this.deps.config.circuit, (delta) => {
        this.parked += delta;
        this.deps.metrics.parked.set(this.parked);
      });
      this.lanes.set(endpointId, lane);
    }
    return lane;
  }

  /** The current secret, and a rotated-out one until it expires. */
  private validSecrets(endpoint: LiveEndpoint, now: number): SigningSecret[] {
    return endpoint.secrets.filter((entry) => entry.expiresAt === null || entry.expiresAt > now);
  }
}
