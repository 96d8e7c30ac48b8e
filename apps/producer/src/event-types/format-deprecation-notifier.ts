import {
  type EventCatalogue,
  FORMAT_DEPRECATED_EVENT_TYPE,
  type FormatDeprecation,
  type FormatDeprecations,
  type TopicNames,
} from '@hookstream/contracts';
import { derivedEventId } from '@hookstream/delivery';
import type { AvroCodec, Publisher, RegisteredSchemas } from '@hookstream/kafka';
import type { Logger } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import { ExclusiveSweep } from '../exclusive-sweep';
import { TargetedDelivery } from '../targeted-delivery/targeted-delivery';
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
 * endpoint (`TargetedDelivery`); the dispatcher signs and sends it like any other.
 */
export class FormatDeprecationNotifier {
  private readonly delivery: TargetedDelivery;
  private readonly sweep: ExclusiveSweep;

  constructor(private readonly options: FormatDeprecationNotifierOptions) {
    if (!options.schemas.events.get(FORMAT_DEPRECATED_EVENT_TYPE)?.has(NOTICE_FORMAT_VERSION))
      throw new Error(`${FORMAT_DEPRECATED_EVENT_TYPE} v${NOTICE_FORMAT_VERSION} is not registered`);
    this.delivery = new TargetedDelivery(options);
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
    const { notices, logger, metrics } = this.options;
    const data = this.noticeData(deprecation);
    const now = Date.now();
    const sent = endpoints.map((endpoint) => ({
      endpoint,
      envelope: {
        // One id per (endpoint, deprecated version): a notice sent again is the same event and delivery.
        eventId: derivedEventId(
          FORMAT_DEPRECATED_EVENT_TYPE,
          endpoint.id,
          deprecation.type,
          String(deprecation.version),
        ),
        tenantId: endpoint.tenant_id,
        environment: endpoint.environment,
        type: FORMAT_DEPRECATED_EVENT_TYPE,
        createdAt: now,
        data,
      },
    }));
    await this.delivery.send(
      sent.map(({ endpoint, envelope }) => ({
        envelope,
        writtenInVersion: NOTICE_FORMAT_VERSION,
        endpoint: { id: endpoint.id, formatVersion: NOTICE_FORMAT_VERSION },
        isTest: false,
      })),
    );
    // Only once Kafka has them: a crash before this line sends the same notices again, under the same ids.
    await notices.record(
      deprecation,
      sent.map((notice) => ({ endpointId: notice.endpoint.id, eventId: notice.envelope.eventId })),
    );
    metrics.notices.inc(sent.length);
    for (const notice of sent) {
      logger.info(
        {
          endpointId: notice.endpoint.id,
          tenantId: notice.endpoint.tenant_id,
          eventId: notice.envelope.eventId,
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
