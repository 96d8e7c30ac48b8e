import type { Environment, FormatDeprecation } from '@hookstream/contracts';
import type { Pool } from '@hookstream/postgres';

/** An endpoint still to be told of a deprecation. */
export interface EndpointToNotify {
  readonly id: string;
  readonly tenant_id: string;
  readonly environment: Environment;
}

export interface SentNotice {
  readonly endpointId: string;
  readonly eventId: string;
}

/** Which endpoints have been sent which `hookstream.format_deprecated` notice (format_deprecation_notices). */
export class FormatDeprecationNotices {
  constructor(private readonly db: Pool) {}

  /**
   * Enabled endpoints pinned to the deprecated version that receive its type (named, or `"*"` for a
   * type that is not opt-in, as `isSubscribed` decides) and have not been told yet, in id order.
   * An endpoint whose last change is still in the outbox waits for a later sweep: the dispatcher knows
   * endpoints from the endpoints topic, and would drop a notice to one it has not read yet (just created)
   * or still reads as disabled (just enabled).
   */
  async awaitingNotice(
    deprecation: FormatDeprecation,
    { isOptIn, limit }: { isOptIn: boolean; limit: number },
  ): Promise<EndpointToNotify[]> {
    const { rows } = await this.db.query<EndpointToNotify>(
      `SELECT e.id, e.tenant_id, e.environment
         FROM endpoints e
        WHERE e.format_version = $2 AND e.status = 'enabled' AND e.deleted_at IS NULL
          AND (e.event_types @> ARRAY[$1::text] OR (NOT $3::boolean AND e.event_types @> ARRAY['*']))
          AND NOT EXISTS (
            SELECT 1 FROM format_deprecation_notices n
             WHERE n.endpoint_id = e.id AND n.event_type = $1 AND n.format_version = $2)
          AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.endpoint_id = e.id AND o.published_at IS NULL)
        ORDER BY e.id
        LIMIT $4`,
      [deprecation.type, deprecation.version, isOptIn, limit],
    );
    return rows;
  }

  async record(deprecation: FormatDeprecation, notices: readonly SentNotice[]): Promise<void> {
    await this.db.query(
      `INSERT INTO format_deprecation_notices (endpoint_id, event_type, format_version, event_id, sunset_at)
       SELECT endpoint_id, $3, $4, event_id, $5 FROM unnest($1::text[], $2::text[]) AS n(endpoint_id, event_id)
       ON CONFLICT (endpoint_id, event_type, format_version) DO NOTHING`,
      [
        notices.map((notice) => notice.endpointId),
        notices.map((notice) => notice.eventId),
        deprecation.type,
        deprecation.version,
        deprecation.sunsetAt,
      ],
    );
  }
}
