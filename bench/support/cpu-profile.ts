import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/**
 * The functions with the most self time in each `.cpuprofile` of a directory (what `node --cpu-prof` writes):
 * "12.3 %  840 ms  encode (node_modules/avsc/lib/types.js:123)", most first.
 */
export function topFrames(dir: string, count: number): [file: string, frames: string[]][] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file): [string, string[]] => [
      file,
      summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')), count),
    ]);
}

export function summarizeProfile(profile: CpuProfile, count: number): string[] {
  const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfMicros = new Map<string, number>();
  let totalMicros = 0;
  profile.samples.forEach((nodeId, index) => {
    const frame = frameOf.get(nodeId);
    const micros = profile.timeDeltas[index] ?? 0;
    totalMicros += micros;
    if (!frame) return;
    const file = frame.url ? relative(process.cwd(), frame.url.replace(/^file:\/\//, '')) : '';
    const name = `${frame.functionName || '(anonymous)'}${file ? ` (${file}:${frame.lineNumber + 1})` : ''}`;
    selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
  });
  return [...selfMicros]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([name, micros]) =>
        `${((100 * micros) / Math.max(1, totalMicros)).toFixed(1).padStart(5)} %  ${String(Math.round(micros / 1000)).padStart(6)} ms  ${name}`,
    );
}
