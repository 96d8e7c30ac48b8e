#!/usr/bin/env node
// `npm start`: install what is missing, bring the stack up, build, and supervise one process per app
// (pid files hold each app's own node pid; a dead app is restarted). Ctrl-C stops everything it started.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, ensureNodeModules, stackDown, stackUp } from './setup.mjs';
import { loadConfig, repoRoot } from './stack/config.mjs';
import { delay, runningPid } from './stack/processes.mjs';

const env = { ...process.env, HOOKSTREAM_LOCAL: '1' };
const apps = [
  { name: 'producer', port: Number(env.PORT ?? 3000) },
  { name: 'dispatcher', port: Number(env.DISPATCHER_PORT ?? 3001) },
  { name: 'retry-scheduler', port: Number(env.RETRY_SCHEDULER_PORT ?? 3002) },
];

const stack = loadConfig(env);
for (const app of apps) {
  const pid = runningPid(join(stack.runDir, `${app.name}.pid`));
  if (pid !== undefined) {
    console.error(`hookstream is already running (${app.name}, pid ${pid}); stop it first.`);
    process.exit(2);
  }
}

ensureNodeModules();
const startedServices = stackUp(env);
// The fault suite supervises the build its test run already made (and must not rebuild dist/ under other tests).
if (!process.argv.includes('--no-build')) build();
// From the build: the options every launcher gives node for the apps (libs/app-runtime/src/node-options.ts).
const { APP_NODE_OPTIONS } = await import(
  pathToFileURL(join(repoRoot, 'dist/libs/app-runtime/src/node-options.js')).href
);
mkdirSync(stack.runDir, { recursive: true });
mkdirSync(stack.logDir, { recursive: true });

let isStopping = false;
const children = new Map();

function launch(app, attempt = 0) {
  const log = openSync(join(stack.logDir, `${app.name}.log`), 'a');
  const child = spawn(process.execPath, [...APP_NODE_OPTIONS, join(repoRoot, `dist/apps/${app.name}/src/main.js`)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const pidFile = join(stack.runDir, `${app.name}.pid`);
  writeFileSync(pidFile, `${child.pid}\n`);
  children.set(app.name, child);
  const startedAt = Date.now();
  child.once('exit', (code, signal) => {
    children.delete(app.name);
    rmSync(pidFile, { force: true });
    if (isStopping) return;
    // Back off while it keeps crashing; a process that ran a minute starts over at one second.
    const nextAttempt = Date.now() - startedAt > 60_000 ? 0 : attempt + 1;
    const backoffMs = Math.min(30_000, 1000 * 2 ** Math.min(nextAttempt, 5));
    console.error(
      `${app.name} exited (${signal ?? `code ${code}`}); restarting in ${backoffMs / 1000}s (log: .stack/logs/${app.name}.log)`,
    );
    setTimeout(() => !isStopping && launch(app, nextAttempt), backoffMs);
  });
}

async function waitReady(app, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${app.port}/health/ready`).catch(() => undefined);
    if (response?.ok) return true;
    await delay(300);
  }
  return false;
}

/** The local tenant, created once and kept in .stack/local-tenant.json (local mode only: keys are shown once). */
async function localTenant(apiUrl) {
  const file = join(stack.stackDir, 'local-tenant.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const check = await fetch(`${apiUrl}/v1/endpoints`, { headers: { authorization: `Bearer ${saved.keys.sandbox}` } });
    if (check.ok) return saved;
  }
  const response = await fetch(`${apiUrl}/v1/admin/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${env.ADMIN_TOKEN ?? 'dev-admin-token'}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'local' }),
  });
  if (!response.ok) throw new Error(`POST /v1/admin/tenants answered ${response.status}`);
  const tenant = await response.json();
  writeFileSync(file, `${JSON.stringify(tenant, null, 2)}\n`, { mode: 0o600 });
  return tenant;
}

async function stopAll() {
  if (isStopping) return;
  isStopping = true;
  console.log('\nstopping hookstream…');
  const exits = [...children.values()].map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of children.values()) child.kill('SIGTERM');
  await Promise.race([Promise.all(exits), delay(15_000)]);
  for (const child of children.values()) child.kill('SIGKILL');
  stackDown(startedServices, env);
  process.exit(0);
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

for (const app of apps) launch(app);
for (const app of apps) {
  if (!(await waitReady(app))) console.error(`${app.name} is not ready yet; see .stack/logs/${app.name}.log`);
}
const apiUrl = `http://127.0.0.1:${apps[0].port}`;
const tenant = await localTenant(apiUrl).catch((error) => {
  console.error(`could not create the local tenant: ${error.message}`);
  return undefined;
});
console.log(`
hookstream is running (local mode)
  API            ${apiUrl}/v1
  sandbox key    ${tenant?.keys.sandbox ?? '(unavailable)'}   (tenant ${tenant?.name ?? '?'}; its live key is in .stack/local-tenant.json)
  admin token    dev-admin-token
  dashboard      ${apiUrl}/dashboard   (sign in with the sandbox key)
  API docs       ${apiUrl}/docs
  health         ${apiUrl}/health/ready
  metrics        ${apiUrl}/metrics, :${apps[1].port}/metrics, :${apps[2].port}/metrics
  logs           .stack/logs/<app>.log
Ctrl-C stops everything this command started.`);
