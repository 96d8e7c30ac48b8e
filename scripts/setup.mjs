// What `npm start`, `npm test` and the bench do before anything else: install, bring up, build.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall } from './stack/binaries.mjs';
import { repoRoot } from './stack/config.mjs';

export function sh(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit', ...options });
  if (result.status !== 0) {
    console.error(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})`);
    process.exit(result.status || 1);
  }
  return result;
}

/** `npm ci` when node_modules is missing or older than the lock file. */
export function ensureNodeModules() {
  const installed = join(repoRoot, 'node_modules/.package-lock.json');
  const lock = join(repoRoot, 'package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('installing node modules (npm ci)…');
  sh('npm', ['ci', '--no-audit', '--no-fund']);
}

/** Debian's Chromium, which the dashboard's browser test drives headless through playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';

/** `apt-get install chromium` when it is missing (as root); otherwise a clear word on what to install. */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  try {
    aptInstall(['chromium'], `${CHROMIUM} is missing: the dashboard's browser test needs it`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}

export function stackStatus(env = process.env) {
  const result = spawnSync(process.execPath, [join(repoRoot, 'scripts/stack.mjs'), 'status', '--json'], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
  });
  return JSON.parse(result.stdout);
}

/** Brings the stack up and returns the services this call started, for stopping exactly those later. */
export function stackUp(env = process.env) {
  const down = stackStatus(env)
    .filter((row) => !row.ready)
    .map((row) => row.service);
  if (down.length > 0) sh(process.execPath, [join(repoRoot, 'scripts/stack.mjs'), 'up'], { env });
  return down;
}

export function stackDown(services, env = process.env) {
  if (services.length === 0) return;
  sh(process.execPath, [join(repoRoot, 'scripts/stack.mjs'), 'down', '--only', services.join(',')], { env });
}

export function build() {
  sh('npm', ['run', '--silent', 'build']);
}
