import { Inject, Injectable } from '@nestjs/common';
import { isSystemEventType } from '@hookstream/contracts';
import { deliveryIdFor, isSubscribed, newId } from '@hookstream/delivery';
import type { Logger } from '@hookstream/observability';
import type { Pool } from '@hookstream/postgres';
import { EndpointsRepository, type EndpointRow, type Owner, subscriptionOf } from '../endpoints/endpoints.repository';
import { ApiError } from '../http/api-error';
import { ProducerContext } from '../producer-context';
import { RedriveService } from '../status/redrive.service';
import { TargetedDelivery } from '../targeted-delivery/targeted-delivery';
import { DATABASE, LOGGER } from '../tokens';
import { eventsInRange, type LoggedEvent, TooManyEvents } from './events-in-range';
import { matchesReplay } from './replay-match';
import type { ReplayEndpoint } from './replay.schemas';

/** Matching events one replay may hold in memory; a larger range is refused, to be split by the caller. */
export const MAX_REPLAY_EVENTS = 100_000;
/** Deliveries per publish while a job schedules. */
const SCHEDULE_BATCH = 200;
const SAMPLE_SIZE = 10;
/** A running job moves `updated_at` every batch; one silent this long lost its producer. */
const INTERRUPTED_AFTER_MS = 60_000;

export interface ReplayCounts {
  /** Events of the range the endpoint's subscription (and `eventTypes`) matches. */
  readonly matched: number;
  /** Of those, events the endpoint already has a delivery of. */
  readonly alreadyDelivered: number;
  /** Deliveries the replay sends: the matched events never delivered, and with `includeDelivered` the others too. */
  readonly toSchedule: number;
}

export interface ReplayDryRun extends ReplayCounts {
  readonly sample: { eventId: string; type: string; createdAt: string; alreadyDelivered: boolean }[];
}

export interface ReplayJob extends ReplayCounts {
  readonly id: string;
  readonly endpointId: string;
  readonly status: 'running' | 'succeeded' | 'failed' | 'interrupted';
  readonly since: string;
  readonly until: string;
  readonly eventTypes: string[] | null;
  readonly includeDelivered: boolean;
  readonly scheduled: number;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
}

interface ReplayJobRow {
  id: string;
  endpoint_id: string;
  status: 'running' | 'succeeded' | 'failed';
  since: Date;
  until: Date;
  event_types: string[] | null;
  include_delivered: boolean;
  matched: number;
  already_delivered: number;
  to_schedule: number;
  scheduled: number;
  error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

/**
 * Replay from the log: the subscription match of one endpoint run again over a time range of
 * `hookstream.events`, and a delivery scheduled for every matching event the endpoint never got (a new
 * endpoint backfilled, a disabled one's missed events restored). Matching answers the request; the
 * scheduling is a job of its own whose progress `GET /v1/replays/:id` shows. Deliveries keep their
 * one id per (event, endpoint), so a second replay of the same range finds them and adds nothing.
 */
@Injectable()
export class ReplayService {
  private readonly delivery: TargetedDelivery;

  constructor(
    private readonly endpoints: EndpointsRepository,
    private readonly context: ProducerContext,
    private readonly redrive: RedriveService,
    @Inject(DATABASE) private readonly db: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.delivery = new TargetedDelivery(context);
  }

  async replay(
    owner: Owner,
    endpointId: string,
    request: ReplayEndpoint,
    now = Date.now(),
  ): Promise<ReplayDryRun | (ReplayCounts & { jobId: string })> {
    const endpoint = await this.endpoints.find(owner, endpointId);
    if (!endpoint) throw ApiError.notFound('endpoint');
    this.checkEventTypes(endpoint, request.eventTypes);
    if (endpoint.status !== 'enabled') {
      throw ApiError.conflict('endpoint_unavailable', 'the endpoint is disabled: enable it before replaying');
    }
    const since = Date.parse(request.since);
    const until = Math.min(request.until === undefined ? now : Date.parse(request.until), now);
    if (since >= until) {
      throw ApiError.invalid('the range is empty', [{ field: 'since', message: 'must be before until and now' }]);
    }
    const matched = await this.match(endpoint, since, until, request.eventTypes);
    const delivered = await this.deliveredOf(owner, endpoint.id, matched);
    const fresh = matched.filter((event) => !delivered.has(event.envelope.eventId));
    const again = request.includeDelivered ? matched.filter((event) => delivered.has(event.envelope.eventId)) : [];
    const counts = {
      matched: matched.length,
      alreadyDelivered: delivered.size,
      toSchedule: fresh.length + again.length,
    };
    if (request.dryRun) {
      return {
        ...counts,
        sample: matched.slice(0, SAMPLE_SIZE).map(({ envelope }) => ({
          eventId: envelope.eventId,
          type: envelope.type,
          createdAt: new Date(envelope.createdAt).toISOString(),
          alreadyDelivered: delivered.has(envelope.eventId),
        })),
      };
    }
    const jobId = newId('rpl', now);
    await this.db.query(
      `INSERT INTO replay_jobs (id, tenant_id, environment, endpoint_id, since, until, event_types, include_delivered,
                                status, matched, already_delivered, to_schedule)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'running', $9, $10, $11)`,
      [
        jobId,
        owner.tenantId,
        owner.environment,
        endpoint.id,
        new Date(since),
        new Date(until),
        request.eventTypes ?? null,
        request.includeDelivered ?? false,
        counts.matched,
        counts.alreadyDelivered,
        counts.toSchedule,
      ],
    );
    this.logger.info({ jobId, endpointId: endpoint.id, tenantId: owner.tenantId, ...counts }, 'replay started');
    void this.run(jobId, owner, endpoint, fresh, again);
    return { jobId, ...counts };
  }

  async job(owner: Owner, jobId: string, now = Date.now()): Promise<ReplayJob> {
    const { rows } = await this.db.query<ReplayJobRow>(
      'SELECT * FROM replay_jobs WHERE id = $1 AND tenant_id = $2 AND environment = $3',
      [jobId, owner.tenantId, owner.environment],
    );
    const row = rows[0];
    if (!row) throw ApiError.notFound('replay');
    return jobView(row, now);
  }

  /** The endpoint's latest replays, newest first. */
  async jobs(owner: Owner, endpointId: string, now = Date.now()): Promise<ReplayJob[]> {
    if (!(await this.endpoints.find(owner, endpointId))) throw ApiError.notFound('endpoint');
    const { rows } = await this.db.query<ReplayJobRow>(
      `SELECT * FROM replay_jobs WHERE tenant_id = $1 AND environment = $2 AND endpoint_id = $3
        ORDER BY created_at DESC, id DESC LIMIT 20`,
      [owner.tenantId, owner.environment, endpointId],
    );
    return rows.map((row) => jobView(row, now));
  }

  private checkEventTypes(endpoint: EndpointRow, eventTypes: readonly string[] | undefined): void {
    for (const [index, type] of (eventTypes ?? []).entries()) {
      const definition = this.context.catalogue.get(type);
      const received =
        definition !== undefined &&
        !isSystemEventType(definition) &&
        isSubscribed(subscriptionOf(endpoint), type, definition.optIn);
      if (!received) {
        throw ApiError.invalid('the endpoint does not receive every type asked for', [
          {
            field: `eventTypes.${index}`,
            message: definition
              ? `the endpoint does not receive "${type}"`
              : `"${type}" is not in the catalogue (GET /v1/event-types)`,
          },
        ]);
      }
    }
  }

  private async match(
    endpoint: EndpointRow,
    since: number,
    until: number,
    eventTypes: readonly string[] | undefined,
  ): Promise<LoggedEvent[]> {
    const criteria = {
      endpoint: {
        id: endpoint.id,
        tenantId: endpoint.tenant_id,
        environment: endpoint.environment,
        eventTypes: endpoint.event_types,
      },
      since,
      until,
      ...(eventTypes ? { eventTypes } : {}),
    };
    try {
      return await eventsInRange({
        kafka: this.context.kafka,
        admin: this.context.admin,
        codec: this.context.codec,
        topic: this.context.topics.events,
        since,
        until,
        limit: MAX_REPLAY_EVENTS,
        keep: (envelope, headers) => matchesReplay(envelope, headers, criteria, this.context.catalogue),
      });
    } catch (error) {
      if (!(error instanceof TooManyEvents)) throw error;
      throw ApiError.invalid(`more than ${MAX_REPLAY_EVENTS} events match: replay a shorter range at a time`, [
        { field: 'until', message: 'the range is too large' },
      ]);
    }
  }

  /** The matched events this endpoint already has a delivery of, by the projections. */
  private async deliveredOf(owner: Owner, endpointId: string, events: readonly LoggedEvent[]): Promise<Set<string>> {
    const delivered = new Set<string>();
    for (let start = 0; start < events.length; start += 10_000) {
      const slice = events.slice(start, start + 10_000);
      const byDelivery = new Map(slice.map(({ envelope }) => [deliveryIdFor(envelope.eventId, endpointId), envelope]));
      const { rows } = await this.db.query<{ id: string }>(
        'SELECT id FROM deliveries WHERE tenant_id = $1 AND environment = $2 AND id = ANY($3)',
        [owner.tenantId, owner.environment, [...byDelivery.keys()]],
      );
      for (const { id } of rows) delivered.add(byDelivery.get(id)?.eventId ?? '');
    }
    return delivered;
  }

  private async run(
    jobId: string,
    owner: Owner,
    endpoint: EndpointRow,
    fresh: readonly LoggedEvent[],
    again: readonly LoggedEvent[],
  ): Promise<void> {
    try {
      for (let start = 0; start < fresh.length; start += SCHEDULE_BATCH) {
        const batch = fresh.slice(start, start + SCHEDULE_BATCH);
        await this.delivery.schedule(
          batch.map(({ envelope, bytes }) => ({
            envelope,
            eventBytes: bytes,
            endpoint: { id: endpoint.id, formatVersion: endpoint.format_version, ordering: endpoint.ordering },
          })),
        );
        await this.progress(jobId, batch.length);
      }
      for (const { envelope } of again) {
        // One more attempt of the delivery the endpoint already has, as POST /v1/deliveries/:id/retry makes.
        const redriven = await this.redrive.retry(owner, deliveryIdFor(envelope.eventId, endpoint.id)).then(
          () => 1,
          (error: unknown) => {
            // A delivery still being attempted is under way already: nothing to add.
            if (error instanceof ApiError && error.code === 'delivery_in_progress') return 0;
            throw error;
          },
        );
        await this.progress(jobId, redriven);
      }
      await this.db.query(
        `UPDATE replay_jobs SET status = 'succeeded', finished_at = now(), updated_at = now() WHERE id = $1`,
        [jobId],
      );
      this.logger.info({ jobId, endpointId: endpoint.id }, 'replay finished');
    } catch (error) {
      this.logger.error({ err: error, jobId, endpointId: endpoint.id }, 'replay failed');
      await this.db
        .query(
          `UPDATE replay_jobs SET status = 'failed', error = $2, finished_at = now(), updated_at = now() WHERE id = $1`,
          [jobId, error instanceof Error ? error.message : String(error)],
        )
        .catch((failure: unknown) => this.logger.error({ err: failure, jobId }, 'replay status not saved'));
    }
  }

  private async progress(jobId: string, scheduled: number): Promise<void> {
    await this.db.query('UPDATE replay_jobs SET scheduled = scheduled + $2, updated_at = now() WHERE id = $1', [
      jobId,
      scheduled,
    ]);
  }
}

function jobView(row: ReplayJobRow, now: number): ReplayJob {
  const isInterrupted = row.status === 'running' && now - row.updated_at.getTime() > INTERRUPTED_AFTER_MS;
  return {
    id: row.id,
    endpointId: row.endpoint_id,
    status: isInterrupted ? 'interrupted' : row.status,
    since: row.since.toISOString(),
    until: row.until.toISOString(),
    eventTypes: row.event_types,
    includeDelivered: row.include_delivered,
    matched: row.matched,
    alreadyDelivered: row.already_delivered,
    toSchedule: row.to_schedule,
    scheduled: row.scheduled,
    error: row.error,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
  };
}
