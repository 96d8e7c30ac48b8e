import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './latency-stats';

export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
  /** Also count its child processes (PostgreSQL: the postmaster's backends and workers). */
  readonly includeChildren?: boolean;
}

export interface ResourceUse {
  /** User + system CPU between start() and stop(), children included when asked. */
  readonly cpuSeconds: number;
  /** Highest sampled memory in MiB: VmRSS alone, or with children the sum of Pss (shared buffers counted once). */
  readonly peakRssMb: number;
  /** Memory readings taken, the ones at start() and stop() included. */
  readonly samples: number;
}

/** The fields of /proc/<pid>/stat the sampler uses; times in clock ticks. */
export interface ProcStat {
  readonly pid: number;
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  readonly utime: number;
  readonly stime: number;
  readonly cutime: number;
  readonly cstime: number;
  /** Ticks after boot: with the pid, it tells a process from a later one that reused its pid. */
  readonly starttime: number;
}

/**
 * One /proc/<pid>/stat line. The comm may hold spaces and ')', so the fields are split after the
 * last ')'; undefined when the line is not one.
 */
export function parseStat(line: string): ProcStat | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // Field 3 (state) is the first after the comm, so proc(5)'s field n is rest[n - 3].
  const rest = line
    .slice(close + 1)
    .trim()
    .split(' ');
  const field = (n: number) => Number(rest[n - 3]);
  const stat = {
    pid: Number(line.slice(0, open).trim()),
    comm: line.slice(open + 1, close),
    state: rest[0] ?? '',
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    starttime: field(22),
  };
  const numbers = [stat.pid, stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime, stat.starttime];
  return numbers.every(Number.isInteger) ? stat : undefined;
}

/**
 * Samples CPU time and memory of a few processes from /proc (Linux only). Reads are synchronous:
 * a sample is a handful of small files (plus one /proc listing when children are watched), a few ms.
 */
export class ResourceSampler {
  private readonly watches: Watch[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    processes: readonly WatchedProcess[],
    private readonly intervalMs = 250,
  ) {
    this.watches = processes.map((watched) => new Watch(watched));
    // Asked here, once: spawning getconf in stop() would stretch its final reading.
    clockTicksPerSecond();
  }

  start(): void {
    this.stopTimer();
    const stats = this.readStats();
    for (const watch of this.watches) watch.begin(stats);
    // unref: a forgotten stop() must not keep the benchmark alive.
    this.timer = setInterval(() => this.sample(), this.intervalMs).unref();
  }

  stop(): Record<string, ResourceUse> {
    this.stopTimer();
    this.sample(true);
    return Object.fromEntries(this.watches.map((watch) => [watch.process.name, watch.use()]));
  }

  private sample(isFinal = false): void {
    const stats = this.readStats();
    for (const watch of this.watches) watch.sample(stats, isFinal);
  }

  /** The children of every root watched with its children, from one pass over /proc. */
  private readStats(): ProcessTable {
    const roots = new Set(this.watches.filter((watch) => watch.process.includeChildren).map((w) => w.process.pid));
    const children = new Map<number, ProcStat[]>();
    if (roots.size > 0) {
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const stat = readStat(Number(entry));
        if (!stat || !roots.has(stat.ppid)) continue;
        children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
      }
    }
    return { childrenOf: (pid) => children.get(pid) ?? [] };
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** How often memory is read for a process watched with its children (CPU is read at every sample). */
const CHILDREN_MEMORY_EVERY_MS = 1000;

interface ProcessTable {
  childrenOf(pid: number): readonly ProcStat[];
}

interface ChildTicks {
  readonly baseline: number;
  last: number;
}

/** One watched process: its baseline and latest readings, which stay as they were once it is gone. */
class Watch {
  private root: ProcStat | undefined;
  private latestRoot: ProcStat | undefined;
  /** By pid and starttime, so a reused pid is a new child. */
  private readonly children = new Map<string, ChildTicks>();
  /** Ticks that children alive at start() had used before it: their whole lives land in cutime when they exit. */
  private exitedBaselines = 0;
  private peakKb = 0;
  private samples = 0;
  private memoryReadAt = 0;

  constructor(readonly process: WatchedProcess) {}

  begin(table: ProcessTable): void {
    this.root = readStat(this.process.pid);
    this.latestRoot = this.root;
    this.children.clear();
    this.exitedBaselines = 0;
    this.peakKb = 0;
    this.samples = 0;
    if (!this.root) return;
    for (const child of this.process.includeChildren ? table.childrenOf(this.process.pid) : []) {
      this.children.set(childKey(child), { baseline: ownTicks(child), last: ownTicks(child) });
    }
    this.record(this.memoryKb(this.process.includeChildren ? table.childrenOf(this.process.pid) : []));
  }

  sample(table: ProcessTable, isFinal = false): void {
    if (!this.root || !this.latestRoot) return;
    // The children first: one reaped in between is then counted twice (a few ticks), never lost.
    const children = this.process.includeChildren ? table.childrenOf(this.process.pid) : [];
    const root = readStat(this.process.pid);
    if (!root || root.starttime !== this.root.starttime) return;
    this.latestRoot = root;
    if (this.process.includeChildren) this.updateChildren(children);
    // Postgres's memory is a Pss sum over its processes, a walk of each one's mappings: 6 ms for 8 idle
    // backends here, more under load. At every sample of two samplers it took a tenth of a core from the run.
    const now = Date.now();
    if (this.process.includeChildren && !isFinal && now - this.memoryReadAt < CHILDREN_MEMORY_EVERY_MS) return;
    this.memoryReadAt = now;
    this.record(this.memoryKb(children));
  }

  use(): ResourceUse {
    const root = this.root;
    const latest = this.latestRoot;
    if (!root || !latest) return { cpuSeconds: 0, peakRssMb: 0, samples: 0 };
    let ticks = ownTicks(latest) - ownTicks(root);
    if (this.process.includeChildren) {
      for (const child of this.children.values()) ticks += child.last - child.baseline;
      ticks += reapedTicks(latest) - reapedTicks(root) - this.exitedBaselines;
    }
    return {
      cpuSeconds: round(ticks / clockTicksPerSecond(), 2),
      peakRssMb: round(this.peakKb / 1024, 1),
      samples: this.samples,
    };
  }

  private updateChildren(alive: readonly ProcStat[]): void {
    const seen = new Set<string>();
    for (const child of alive) {
      const key = childKey(child);
      seen.add(key);
      const known = this.children.get(key);
      if (known) known.last = ownTicks(child);
      else this.children.set(key, { baseline: 0, last: ownTicks(child) });
    }
    // Gone: the root reaped it, so its CPU is in the root's cutime/cstime from now on.
    for (const [key, child] of this.children) {
      if (seen.has(key)) continue;
      this.exitedBaselines += child.baseline;
      this.children.delete(key);
    }
  }

  private memoryKb(children: readonly ProcStat[]): number | undefined {
    if (!this.process.includeChildren) return readVmRssKb(this.process.pid);
    const root = readPssKb(this.process.pid);
    if (root === undefined) return undefined;
    return children.reduce((sum, child) => sum + (readPssKb(child.pid) ?? 0), root);
  }

  private record(kb: number | undefined): void {
    this.samples += 1;
    if (kb !== undefined) this.peakKb = Math.max(this.peakKb, kb);
  }
}

/**
 * The stack's services: kafka and the registry from their pid files in runDir, and PostgreSQL's
 * postmaster as the parent of a backend (pg_backend_pid() through queryBackendPid). Missing or dead
 * ones are left out, as is a backend this pid namespace cannot see (Postgres in a container).
 */
export async function stackServiceProcesses(
  runDir: string,
  queryBackendPid: () => Promise<number>,
): Promise<WatchedProcess[]> {
  const found: WatchedProcess[] = [];
  for (const name of ['kafka', 'registry']) {
    const pid = readPidFile(join(runDir, `${name}.pid`));
    if (pid !== undefined && isRunning(pid)) found.push({ name, pid });
  }
  const backendPid = await queryBackendPid().catch(() => undefined);
  const backend = backendPid === undefined ? undefined : readStat(backendPid);
  const postmaster = backend?.comm === 'postgres' ? readStat(backend.ppid) : undefined;
  if (postmaster?.comm === 'postgres' && isRunning(postmaster.pid)) {
    found.push({ name: 'postgres', pid: postmaster.pid, includeChildren: true });
  }
  return found;
}

let ticksPerSecond: number | undefined;

/** USER_HZ, which /proc's times are counted in: 100 on nearly every Linux, asked once anyway. */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

const ownTicks = (stat: ProcStat) => stat.utime + stat.stime;
const reapedTicks = (stat: ProcStat) => stat.cutime + stat.cstime;
const childKey = (stat: ProcStat) => `${stat.pid}:${stat.starttime}`;
const isRunning = (pid: number) => {
  const state = readStat(pid)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
};

/** Undefined when the process is gone (or was never there): it may exit between listing and reading. */
function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

function readStat(pid: number): ProcStat | undefined {
  const line = readProc(pid, 'stat');
  return line === undefined ? undefined : parseStat(line);
}

function readVmRssKb(pid: number): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readProc(pid, 'status') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Pss shares each shared page among its users; VmRSS when smaps_rollup is unreadable (another user's process). */
function readPssKb(pid: number): number | undefined {
  const match = /^Pss:\s+(\d+) kB/m.exec(readProc(pid, 'smaps_rollup') ?? '');
  return match ? Number(match[1]) : readVmRssKb(pid);
}

function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
