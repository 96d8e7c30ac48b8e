// The benchmark's /proc sampler: CPU of a process and of its exited children, and stat lines with odd names.
import { spawn } from 'node:child_process';
import { parseStat, ResourceSampler } from '../../bench/support/resource-usage';

const linuxOnly = process.platform === 'linux' ? describe : describe.skip;

/** Keeps the CPU busy for durationMs, yielding now and then so the sampler's timer gets to run. */
async function burnCpu(durationMs: number): Promise<void> {
  const end = Date.now() + durationMs;
  while (Date.now() < end) {
    const sliceEnd = Math.min(end, Date.now() + 50);
    while (Date.now() < sliceEnd);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

linuxOnly('ResourceSampler', () => {
  it('reports the CPU and memory the current process uses', async () => {
    const sampler = new ResourceSampler([{ name: 'self', pid: process.pid }], 50);
    sampler.start();
    await burnCpu(300);
    const { self } = sampler.stop();

    expect(self?.cpuSeconds).toBeGreaterThanOrEqual(0.2);
    expect(self?.cpuSeconds).toBeLessThanOrEqual(2);
    expect(self?.peakRssMb).toBeGreaterThan(10);
    expect(self?.samples).toBeGreaterThan(2);
  });

  it("counts a child's CPU after it exited, through the parent's cutime", async () => {
    const sampler = new ResourceSampler([{ name: 'self', pid: process.pid, includeChildren: true }], 50);
    sampler.start();
    const child = spawn(process.execPath, ['-e', 'const end=Date.now()+400;while(Date.now()<end);'], {
      stdio: 'ignore',
    });
    // cutime grows only once the child is waited for, which Node has done when 'exit' fires.
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const { self } = sampler.stop();

    expect(code).toBe(0);
    expect(self?.cpuSeconds).toBeGreaterThanOrEqual(0.3);
  });
});

describe('parseStat', () => {
  it('splits the fields after the last parenthesis, whatever the name holds', () => {
    const line =
      '4242 (evil ) name (x) ) S 17 4242 4242 0 -1 4194560 1200 0 3 0 150 25 7 9 20 0 4 0 98765 123456789 5000' +
      ' 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n';

    expect(parseStat(line)).toEqual({
      pid: 4242,
      comm: 'evil ) name (x) ',
      state: 'S',
      ppid: 17,
      utime: 150,
      stime: 25,
      cutime: 7,
      cstime: 9,
      starttime: 98765,
    });
  });

  it('rejects what is not a stat line', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('12 (truncated')).toBeUndefined();
  });
});
