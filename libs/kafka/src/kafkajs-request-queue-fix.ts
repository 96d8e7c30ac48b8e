import { createRequire } from 'node:module';
import { isFixedKafkajsRelease } from './kafkajs-release';

/** kafkajs's own interval for re-checking requests that wait (its `CHECK_PENDING_REQUESTS_INTERVAL`). */
const PENDING_CHECK_INTERVAL_MS = 10;

/** The fields of kafkajs's per-connection `RequestQueue` that the fix reads and sets. */
interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

const requireFromHere = createRequire(__filename);
let isFixed = false;

/**
 * kafkajs 2.2.4 schedules a check of a connection's waiting requests after every response, even when none
 * waits, and each check schedules the next at -1 ms: every connection that ever had an answer then runs a
 * 1 ms timer until it closes (kafkajs issues 1556, 1604 and 1704; the fix was never released). Measured:
 * an idle client with a producer, three consumers and an admin spent 26 ms of CPU a second, 8–9 fixed.
 *
 * The fix schedules a check only while a request waits, as upstream's proposed fix does. A waiting request
 * loses nothing by it: kafkajs still checks the queue when the request is queued, when one in flight is
 * answered or times out, and every 10 ms (or at the throttle's end) while one waits.
 *
 * Returns whether the installed kafkajs is the release fixed here; another is left as it is.
 */
export function fixKafkajsRequestQueue(): boolean {
  if (!isFixedKafkajsRelease()) return false;
  if (isFixed) return true;
  const RequestQueue = requireFromHere('kafkajs/src/network/requestQueue') as { prototype: RequestQueue };
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueue): void {
    if (this.pending.length === 0 || this.throttleCheckTimeoutId) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : PENDING_CHECK_INTERVAL_MS,
    );
  };
  isFixed = true;
  return true;
}
