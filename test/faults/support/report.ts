import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/stack';

/** The figures every scenario reports. */
export interface ScenarioFigures {
  readonly scenario: string;
  readonly events: number;
  readonly deliveries: number;
  readonly duplicates: number;
  /** From the fault's start (or its end, for an outage) until the engine was whole again. */
  readonly recoverMs: number;
  readonly [detail: string]: unknown;
}

/** Where the figures go, one JSON line per scenario (the throwaway stack's directory does not survive the run). */
export const FAULT_REPORT_FILE = join(repoRoot, '.stack/fault-reports/faults.jsonl');

/** One line on the console and one in the report file. */
export function reportScenario(figures: ScenarioFigures): ScenarioFigures {
  const { scenario, events, deliveries, duplicates, recoverMs } = figures;
  console.log(
    `fault scenario "${scenario}": events=${events} deliveries=${deliveries} duplicates=${duplicates} recoverMs=${recoverMs}`,
  );
  mkdirSync(join(FAULT_REPORT_FILE, '..'), { recursive: true });
  appendFileSync(FAULT_REPORT_FILE, `${JSON.stringify({ at: new Date().toISOString(), ...figures })}\n`);
  return figures;
}

/** How often each value occurs (statuses of refused posts, answers), for the report. */
export function countBy(values: readonly (string | number)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
