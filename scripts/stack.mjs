#!/usr/bin/env node
// The local stack: `up`, `down`, `status`. Idempotent; readiness by real probes; data and logs
// under .stack/ (or HOOKSTREAM_STACK_DIR). Needs nothing from node_modules.
import { mkdirSync } from 'node:fs';
import { ensureBinaries, ensureJava } from './stack/binaries.mjs';
import { loadConfig, StackError } from './stack/config.mjs';
import { kafka } from './stack/kafka.mjs';
import { postgres } from './stack/postgres.mjs';
import { assertPortFree } from './stack/processes.mjs';
import { registry } from './stack/registry.mjs';

// Start order; `down` goes the other way. The registry keeps its schemas in Postgres.
const services = [postgres, kafka, registry];

export async function status(config) {
  const rows = [];
  for (const service of services) rows.push({ service: service.name, ...(await service.status(config)) });
  return rows;
}

export async function up(config) {
  mkdirSync(config.logDir, { recursive: true });
  mkdirSync(config.runDir, { recursive: true });
  const before = await status(config);
  if (before.every((row) => row.ready)) {
    console.log('stack: already up');
    return;
  }
  // Every port first, so a taken one is said before anything starts.
  for (const service of services) {
    for (const [port, what, envHint] of service.ports(config)) await assertPortFree(port, what, envHint);
  }
  ensureJava(config);
  ensureBinaries(config);
  for (const service of services) {
    const started = Date.now();
    const wasReady = before.find((row) => row.service === service.name).ready;
    await service.up(config);
    console.log(
      `stack: ${service.name} ${wasReady ? 'already up' : `up in ${((Date.now() - started) / 1000).toFixed(1)}s`}`,
    );
  }
}

export async function down(config, only = services.map((service) => service.name)) {
  for (const service of [...services].reverse().filter((s) => only.includes(s.name))) {
    const stopped = await service.down(config);
    console.log(`stack: ${service.name} ${stopped === undefined ? 'was not started by this stack' : 'stopped'}`);
  }
}

async function main(command) {
  const config = loadConfig();
  switch (command) {
    case 'up':
      await up(config);
      break;
    case 'down': {
      const only = process.argv.indexOf('--only');
      await down(config, only > 0 ? process.argv[only + 1].split(',') : undefined);
      break;
    }
    case 'status': {
      const rows = await status(config);
      if (process.argv.includes('--json')) {
        console.log(JSON.stringify(rows));
      } else {
        for (const row of rows) {
          console.log(
            `${row.service.padEnd(9)} ${row.ready ? 'ready' : 'down '}  port ${row.port}  ${row.pid ? `pid ${row.pid}` : ''}`,
          );
        }
      }
      // Like systemctl: 3 means "not running".
      process.exitCode = rows.every((row) => row.ready) ? 0 : 3;
      break;
    }
    default:
      throw new StackError(
        `usage: node scripts/stack.mjs up | down [--only postgres,kafka,registry] | status [--json]`,
      );
  }
}

main(process.argv[2]).catch((error) => {
  if (error instanceof StackError) {
    console.error(`stack: ${error.message}`);
    process.exit(1);
  }
  throw error;
});
