import type { Logger } from '@hookstream/observability';
import { type Pool, whileHoldingAdvisoryLock } from '@hookstream/postgres';

export type SweepOutcome = 'completed' | 'locked' | 'failed';

/**
 * Work run every interval by one producer at a time (a Postgres advisory lock held for the run), one
 * run after another, never two at once however long one takes. A failed run is logged and retried at
 * the next interval.
 */
export class ExclusiveSweep {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = true;

  constructor(
    private readonly options: {
      readonly name: string;
      readonly db: Pool;
      /** The advisory lock's key: any constant, distinct from the others in the code. */
      readonly lock: number;
      readonly intervalMs: number;
      readonly logger: Logger;
      /** Also run at start, not only after the first interval. */
      readonly runAtStart?: boolean;
      work(): Promise<void>;
      onOutcome?(outcome: SweepOutcome): void;
    },
  ) {}

  /** A long run checks this between steps, to let a stop finish soon. */
  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.stopped = false;
    if (this.options.runAtStart) this.run();
    else this.scheduleNext();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private run(): void {
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      this.scheduleNext();
    });
  }

  private scheduleNext(): void {
    if (!this.stopped) this.timer = setTimeout(() => this.run(), this.options.intervalMs);
  }

  private async runOnce(): Promise<void> {
    const { db, lock, logger, name } = this.options;
    try {
      const hasRun = await whileHoldingAdvisoryLock(db, lock, () => this.options.work());
      this.options.onOutcome?.(hasRun ? 'completed' : 'locked');
    } catch (error) {
      logger.warn({ err: error }, `${name} failed; will sweep again`);
      this.options.onOutcome?.('failed');
    }
  }
}
