import type { Logger } from '@hookstream/observability';

/** One step of an app's stop: what it closes, and how. */
export type Closeable = readonly [step: string, close: () => Promise<unknown>];

/**
 * Runs the steps one after the other; a step that fails is logged and the next one runs. Resolves with the
 * step still running when `deadlineMs` passes, if one is: a client waiting on a broker that does not answer
 * would otherwise hold the stop for ever, and the one to blame is then known.
 */
export async function closeInOrder(
  closeables: readonly Closeable[],
  logger: Logger,
  deadlineMs: number,
): Promise<{ stuckOn?: string }> {
  let current: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<{ stuckOn?: string }>((resolve) => {
    timer = setTimeout(() => resolve({ stuckOn: current }), deadlineMs);
  });
  const closing = (async () => {
    for (const [step, close] of closeables) {
      current = step;
      await close().catch((error: unknown) => logger.warn({ err: error, step }, 'error while closing'));
    }
    return {};
  })();
  try {
    return await Promise.race([closing, overrun]);
  } finally {
    clearTimeout(timer);
  }
}
