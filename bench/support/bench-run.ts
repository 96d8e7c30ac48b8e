/** A target a metric must meet; `passed` is true only when every target is met. */
export type Target = { readonly below: number } | { readonly atMost: number } | { readonly atLeast: number };

export interface BenchOutcome {
  readonly metrics: Readonly<Record<string, number>>;
  readonly targets: Readonly<Record<string, Target>>;
}

/** The last line a benchmark prints, which scripts/bench.mjs collects. */
export interface BenchResult extends BenchOutcome {
  readonly bench: string;
  readonly passed: boolean;
  readonly error?: string;
}

export interface BenchContext {
  /** Registers a clean-up; they run last-registered first, after the run, a failure or Ctrl-C alike. */
  defer(cleanUp: () => Promise<unknown>): void;
  /** Aborted on Ctrl-C (or SIGTERM): a loop that generates load checks it and stops. */
  readonly signal: AbortSignal;
}

/** How long an interrupted run may take to wind down before its clean-ups run anyway. */
const WIND_DOWN_MS = 5000;

export function isMet(value: number | undefined, target: Target): boolean {
  if (value === undefined || Number.isNaN(value)) return false;
  if ('below' in target) return value < target.below;
  if ('atMost' in target) return value <= target.atMost;
  return value >= target.atLeast;
}

/**
 * Runs a benchmark, then its clean-ups, and prints its result as the final JSON line. Exits non-zero when it
 * failed or missed a target, so a benchmark run by hand (`node dist/bench/<name>.js`) says so too.
 */
export async function runBench(bench: string, run: (context: BenchContext) => Promise<BenchOutcome>): Promise<void> {
  const cleanUps: (() => Promise<unknown>)[] = [];
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      for (const step of cleanUps.reverse()) {
        await step().catch((error: unknown) => console.error(`${bench}: clean-up step failed: ${String(error)}`));
      }
    })());
  const controller = new AbortController();
  const running = run({ defer: (step) => void cleanUps.push(step), signal: controller.signal });
  const interrupt = async (signal: NodeJS.Signals) => {
    // Ctrl-C reaches us from the terminal and again from scripts/bench.mjs: one clean-up is enough.
    if (controller.signal.aborted) return;
    console.error(`${bench}: ${signal}; cleaning up…`);
    controller.abort(new Error(`interrupted by ${signal}`));
    await Promise.race([running.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, WIND_DOWN_MS))]);
    await cleanUp();
    process.exit(130);
  };
  process.on('SIGINT', (signal) => void interrupt(signal));
  process.on('SIGTERM', (signal) => void interrupt(signal));

  let result: BenchResult;
  try {
    const outcome = await running;
    const passed = Object.entries(outcome.targets).every(([metric, target]) => isMet(outcome.metrics[metric], target));
    result = { bench, ...outcome, passed };
  } catch (error) {
    // An interrupted run ends in the interrupt handler, with no result.
    if (controller.signal.aborted) return;
    console.error(`${bench} failed:`, error);
    result = { bench, metrics: {}, targets: {}, passed: false, error: String((error as Error).message ?? error) };
  }
  await cleanUp();
  if (controller.signal.aborted) return;
  console.log(JSON.stringify(result));
  // Clients (Kafka, Postgres, fetch's keep-alive sockets) may hold the event loop open a while: the run is over.
  process.exit(result.passed ? 0 : 1);
}
