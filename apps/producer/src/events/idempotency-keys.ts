import type { Pool } from '@hookstream/postgres';
import type { Owner } from '../endpoints/endpoints.repository';

export interface AcceptedEvent {
  id: string;
  type: string;
  createdAt: string;
}

/** What a request holding an Idempotency-Key may do. */
export type IdempotencyClaim =
  /** Publish under `eventId` (new, or the one an earlier unanswered attempt used), then `record` it. */
  | { readonly kind: 'publish'; readonly eventId: string }
  | { readonly kind: 'answered'; readonly response: AcceptedEvent }
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'reused' };

const WINDOW = '24 hours';

interface KeyRow {
  event_id: string;
  request_hash: string;
  response: AcceptedEvent | null;
}

/**
 * Idempotency-Key claims in Postgres. A claim binds the key to one event id for 24 hours, and is kept
 * even when the publish fails: a publish that timed out may still reach the log. So a retry with the
 * same key answers the recorded 202 if that event landed meanwhile, and otherwise publishes it again
 * under the same id once no request can still be waiting on the claim (`heldForMs`, the publish
 * timeout). Either way the client gets one event id; at worst the log holds that event twice, whose
 * deliveries share their ids and webhook-id, which receivers deduplicate on.
 */
export class IdempotencyKeys {
  constructor(
    private readonly db: Pick<Pool, 'query'>,
    private readonly heldForMs: number,
  ) {}

  async claim(owner: Owner, key: string, requestHash: string, newEventId: string): Promise<IdempotencyClaim> {
    const ids = [owner.tenantId, owner.environment, key];
    // Claim the key, or take over one older than the window.
    const claimed = await this.db.query<KeyRow>(
      `INSERT INTO idempotency_keys (tenant_id, environment, key, request_hash, event_id)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (tenant_id, environment, key) DO UPDATE
         SET request_hash = EXCLUDED.request_hash, event_id = EXCLUDED.event_id, response = NULL, created_at = now()
         WHERE idempotency_keys.created_at < now() - interval '${WINDOW}'
       RETURNING event_id, request_hash, response`,
      [...ids, requestHash, newEventId],
    );
    if (claimed.rows[0]) return { kind: 'publish', eventId: newEventId };
    // The same request, unanswered, and no longer held by the attempt that claimed it: retry it, same id.
    const retaken = await this.db.query<KeyRow>(
      `UPDATE idempotency_keys SET created_at = now()
        WHERE tenant_id = $1 AND environment = $2 AND key = $3 AND request_hash = $4 AND response IS NULL
          AND created_at < now() - make_interval(secs => $5)
       RETURNING event_id, request_hash, response`,
      [...ids, requestHash, this.heldForMs / 1000],
    );
    if (retaken.rows[0]) return { kind: 'publish', eventId: retaken.rows[0].event_id };
    const { rows } = await this.db.query<KeyRow>(
      'SELECT event_id, request_hash, response FROM idempotency_keys WHERE tenant_id = $1 AND environment = $2 AND key = $3',
      ids,
    );
    const row = rows[0];
    if (!row) return { kind: 'in-progress' };
    if (row.request_hash !== requestHash) return { kind: 'reused' };
    return row.response ? { kind: 'answered', response: row.response } : { kind: 'in-progress' };
  }

  async record(owner: Owner, key: string, accepted: AcceptedEvent): Promise<void> {
    await this.db.query(
      'UPDATE idempotency_keys SET response = $5 WHERE tenant_id = $1 AND environment = $2 AND key = $3 AND event_id = $4',
      [owner.tenantId, owner.environment, key, accepted.id, accepted],
    );
  }
}
