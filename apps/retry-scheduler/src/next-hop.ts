import { deliveryRefOf, type DispatchRequested, type RetryRequested } from '@hookstream/contracts';
import { RETRY_TIERS, type RetryTier, tierMs } from '@hookstream/delivery';

export type NextHop =
  | { readonly kind: 'tier'; readonly tier: RetryTier; readonly record: RetryRequested }
  | { readonly kind: 'dispatch'; readonly record: DispatchRequested };

/**
 * Where a retry goes once its tier's delay has passed: the next tier of its chain (due a tier's delay
 * after this one was due, so lateness does not add up along the chain), or back to dispatch.
 */
export function nextHop(retry: RetryRequested, now: number): NextHop {
  const [next, ...remainingTiers] = retry.remainingTiers;
  if (next === undefined) {
    return {
      kind: 'dispatch',
      record: {
        formatVersion: retry.formatVersion,
        attempt: retry.attempt,
        event: retry.event,
        requestedAt: now,
        isTest: retry.isTest,
        orderingKey: retry.orderingKey ?? null,
        sequence: retry.sequence ?? null,
        ...deliveryRefOf(retry),
      },
    };
  }
  if (!isRetryTier(next)) throw new Error(`unknown retry tier "${next}" in the chain of ${retry.deliveryId}`);
  return { kind: 'tier', tier: next, record: { ...retry, dueAt: retry.dueAt + tierMs(next), remainingTiers } };
}

function isRetryTier(tier: string): tier is RetryTier {
  return (RETRY_TIERS as readonly string[]).includes(tier);
}
