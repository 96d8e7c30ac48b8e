// Processes the stack starts: detached, logging to a file, tracked by pid file only.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { StackError } from './config.mjs';

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

export function readPid(pidFile) {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The pid recorded in pidFile if that process is still running; a stale file is removed. */
export function runningPid(pidFile) {
  const pid = readPid(pidFile);
  if (pid !== undefined && isAlive(pid)) return pid;
  rmSync(pidFile, { force: true });
  return undefined;
}

export function startDetached({ command, args, env, cwd, logFile, pidFile }) {
  mkdirSync(dirname(logFile), { recursive: true });
  mkdirSync(dirname(pidFile), { recursive: true });
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  writeFileSync(pidFile, `${child.pid}\n`);
  return child.pid;
}

export async function stopPid(pid, { name, signal = 'SIGTERM', timeoutMs = 30_000 }) {
  if (!isAlive(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await delay(200);
  }
  console.warn(`${name} (pid ${pid}) did not stop within ${timeoutMs / 1000}s; killing it`);
  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await delay(100);
}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function isPortOpen(port, host = '127.0.0.1') {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function assertPortFree(port, what, envHint) {
  if (await isPortOpen(port)) {
    const owner = portOwner(port);
    throw new StackError(
      `port ${port} (${what}) is already taken${owner ? ` by ${owner}` : ''}. ` +
        `Stop that process or choose another port with ${envHint}.`,
    );
  }
}

function portOwner(port) {
  const ss = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(ss.stdout ?? '');
  return match ? `${match[1]} (pid ${match[2]})` : undefined;
}

/** Polls probe() until it returns true; fails early if the process died, showing its log. */
export async function waitUntilReady({ name, pid, logFile, timeoutMs, probe }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pid !== undefined && !isAlive(pid)) {
      throw new StackError(`${name} exited during start-up. Last lines of ${logFile}:\n${tail(logFile)}`);
    }
    if (await probe().catch(() => false)) return;
    await delay(250);
  }
  throw new StackError(
    `${name} was not ready within ${timeoutMs / 1000}s. Last lines of ${logFile}:\n${tail(logFile)}`,
  );
}

export function tail(file, lines = 25) {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error?.code === 'ENOENT') {
    throw new StackError(`${command} is not installed`);
  }
  return result;
}

export function runOrFail(command, args, options = {}) {
  const result = run(command, args, options);
  if (result.status !== 0) {
    throw new StackError(
      `${command} ${args.join(' ')} failed (exit ${result.status}):\n${(result.stderr || result.stdout || '').trim()}`,
    );
  }
  return result.stdout;
}

export const pidFileOf = (config, name) => join(config.runDir, `${name}.pid`);
export const logFileOf = (config, name) => join(config.logDir, `${name}.log`);
