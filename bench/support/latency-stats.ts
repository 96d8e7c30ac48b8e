export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles (a sample that was measured, never an interpolation), in the samples' unit. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (percentile: number) => sorted[Math.max(0, Math.ceil((percentile / 100) * sorted.length) - 1)] ?? NaN;
  return {
    count: sorted.length,
    p50: round(rank(50)),
    p90: round(rank(90)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function formatSummary(label: string, summary: LatencySummary, unit = 'ms'): string {
  return (
    `${label.padEnd(28)} n=${String(summary.count).padStart(6)}  p50 ${summary.p50} ${unit}  p90 ${summary.p90} ${unit}` +
    `  p99 ${summary.p99} ${unit}  max ${summary.max} ${unit}`
  );
}
