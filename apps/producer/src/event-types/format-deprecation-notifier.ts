import {
  type DeliveryScheduled,
  type DispatchRequested,
  type EventCatalogue,
  type EventEnvelope,
  FORMAT_DEPRECATED_EVENT_TYPE,
  type FormatDeprecation,
  type FormatDeprecations,
  type TopicNames,
} from '@hookstream/contracts';
import { deliveryIdFor, derivedEventId } from '@hookstream/delivery';
import type { AvroCodec, Publisher, RegisteredSchema, RegisteredSchemas } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import { ExclusiveSweep } from '../exclusive-sweep';
import type { Counter } from 'prom-client';
import type { EndpointToNotify, FormatDeprecationNotices } from './format-deprecation-notices';

/**
 * Held for the length of one sweep, so that one producer at a time sends notices. Any constant,
 * distinct from the migration, projection and endpoint-health locks.
 */
export const FORMAT_DEPRECATION_SWEEP_LOCK = 0x64657072;

/** Endpoints notified per round trip; a sweep goes on until none is left. */
const PAGE_SIZE = 200;

/** The notice is written in this format version of its own type: the data built below is v1's. */
const NOTICE_FORMAT_VERSION = 1;

export interface FormatDeprecationNotifierOptions {
  readonly db: Pool;
  readonly notices: FormatDeprecationNotices;
  readonly deprecations: FormatDeprecations;
  readonly catalogue: EventCatalogue;
  readonly publisher: Publisher;
  readonly codec: AvroCodec;
  readonly schemas: RegisteredSchemas;
  readonly topics: TopicNames;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly metrics: {
    readonly sweeps: Counter<'outcome'>;
    readonly notices: Counter;
  };
}

/**
 * Gives merchants advance notice of a format change: each endpoint pinned to a deprecated version of a
 * type it receives gets one signed `hookstream.format_deprecated` webhook per deprecation. The notice
 * is an event on the events topic (the fan-out leaves system events alone) with a delivery to that one
 * endpoint, written as the fan-out writes its deliveries; the dispatcher signs and sends it like any other.
 */
export class FormatDeprecationNotifier {
  private readonly noticeSchema: RegisteredSchema;
  private readonly sweep: ExclusiveSweep;

  constructor(private readonly options: FormatDeprecationNotifierOptions) {
    const registered = options.schemas.events.get(FORMAT_DEPRECATED_EVENT_TYPE)?.get(NOTICE_FORMAT_VERSION);
    if (!registered) throw new Error(`${FORMAT_DEPRECATED_EVENT_TYPE} v${NOTICE_FORMAT_VERSION} is not registered`);
    this.noticeSchema = registered;
    this.sweep = new ExclusiveSweep({
      name: 'format deprecation sweep',
      db: options.db,
      lock: FORMAT_DEPRECATION_SWEEP_LOCK,
      intervalMs: options.intervalMs,
      logger: options.logger,
      runAtStart: true,
      work: () => this.notifyAll(),
      onOutcome: (outcome) => options.metrics.sweeps.inc({ outcome }),
    });
  }

  /** Sweeps now, then every interval; with nothing deprecated there is nothing to do. */
  start(): void {
    if (this.options.deprecations.all.length > 0) this.sweep.start();
  }

  stop(): Promise<void> {
    return this.sweep.stop();
  }

  private async notifyAll(): Promise<void> {
    const { deprecations, notices, catalogue } = this.options;
    for (const deprecation of deprecations.all) {
      const isOptIn = catalogue.get(deprecation.type)?.optIn ?? false;
      for (;;) {
        if (this.sweep.isStopped) return;
        const endpoints = await notices.awaitingNotice(deprecation, { isOptIn, limit: PAGE_SIZE });
        if (endpoints.length > 0) await this.notify(deprecation, endpoints);
        if (endpoints.length < PAGE_SIZE) break;
      }
    }
  }

  private async notify(deprecation: FormatDeprecation, endpoints: readonly EndpointToNotify[]): Promise<void> {
    const { publisher, codec, schemas, topics, notices, logger, metrics } = this.options;
    const data = this.noticeData(deprecation);
    const now = Date.now();
    const sent = await Promise.all(
      endpoints.map(async (endpoint) => {
        // One id per (endpoint, deprecated version): a notice sent again is the same event and delivery.
        const eventId = derivedEventId(
          FORMAT_DEPRECATED_EVENT_TYPE,
          endpoint.id,
          deprecation.type,
          String(deprecation.version),
        );
        const deliveryId = deliveryIdFor(eventId, endpoint.id);
        const envelope: EventEnvelope = {
          eventId,
          tenantId: endpoint.tenant_id,
          environment: endpoint.environment,
          type: FORMAT_DEPRECATED_EVENT_TYPE,
          createdAt: now,
          data,
        };
        const event = await codec.encode(this.noticeSchema.id, envelope);
        const common = {
          deliveryId,
          eventId,
          tenantId: endpoint.tenant_id,
          environment: endpoint.environment,
          endpointId: endpoint.id,
          eventType: FORMAT_DEPRECATED_EVENT_TYPE,
          formatVersion: NOTICE_FORMAT_VERSION,
        };
        const scheduled: DeliveryScheduled = {
          ...common,
          schemaId: this.noticeSchema.id,
          transactionId: null,
          scheduledAt: now,
        };
        const dispatch: DispatchRequested = { ...common, attempt: 1, event, requestedAt: now };
        return {
          endpoint,
          eventId,
          event: { key: endpoint.tenant_id, value: event },
          scheduled: {
            key: deliveryId,
            value: await codec.encode(schemas.internal['delivery-scheduled'].id, scheduled),
          },
          dispatch: {
            key: endpoint.id,
            value: await codec.encode(schemas.internal['dispatch-requested'].id, dispatch),
          },
        };
      }),
    );
    // The log first (the event, its deliveries), then the request to send it.
    await Promise.all([
      publisher.publish(
        topics.events,
        sent.map((notice) => notice.event),
      ),
      publisher.publish(
        topics.deliveryEvents,
        sent.map((notice) => notice.scheduled),
      ),
    ]);
    await publisher.publish(
      topics.dispatch,
      sent.map((notice) => notice.dispatch),
    );
    // Only once Kafka has them: a crash before this line sends the same notices again, under the same ids.
    await notices.record(
      deprecation,
      sent.map((notice) => ({ endpointId: notice.endpoint.id, eventId: notice.eventId })),
    );
    metrics.notices.inc(sent.length);
    for (const notice of sent) {
      logger.info(
        {
          endpointId: notice.endpoint.id,
          tenantId: notice.endpoint.tenant_id,
          eventId: notice.eventId,
          eventType: deprecation.type,
          formatVersion: deprecation.version,
        },
        'format deprecation notice sent',
      );
    }
  }

  /** The notice's `data`, checked against its schema as an ingested event's would be. */
  private noticeData(deprecation: FormatDeprecation): Record<string, unknown> {
    const parsed = this.options.catalogue.parseData(FORMAT_DEPRECATED_EVENT_TYPE, NOTICE_FORMAT_VERSION, {
      eventType: deprecation.type,
      formatVersion: deprecation.version,
      sunsetAt: deprecation.sunsetAt,
      replacementVersion: deprecation.replacement,
      note: deprecation.note,
    });
    if (!parsed.ok)
      throw new Error(`a malformed ${FORMAT_DEPRECATED_EVENT_TYPE} notice: ${JSON.stringify(parsed.errors)}`);
    return parsed.value;
  }
}
