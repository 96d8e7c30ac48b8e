import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from './ports';

export const repoRoot = join(__dirname, '../..');

/** Where the shared local stack is, as the apps and scripts see it. */
export const stackEnv = {
  kafkaBrokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  registryUrl: process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
  databaseUrl: process.env.DATABASE_URL ?? 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream',
};

/** A name no other test (or earlier run) uses, for topics, groups, subjects and tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface StackServiceStatus {
  readonly service: 'postgres' | 'kafka' | 'registry';
  readonly ready: boolean;
  readonly port: number;
  readonly pid?: number | 'system';
}

export function runStackScript(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 300_000,
): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(repoRoot, 'scripts/stack.mjs'), ...args], {
    cwd: repoRoot,
    env,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

export function stackStatus(env: NodeJS.ProcessEnv = process.env): StackServiceStatus[] {
  return JSON.parse(runStackScript(['status', '--json'], env).stdout) as StackServiceStatus[];
}

/**
 * The env of a throwaway stack in `dir` (its own private Postgres, every port free): for tests that
 * start, stop or break a whole stack without touching the shared one.
 */
export async function throwawayStackEnv(dir: string): Promise<NodeJS.ProcessEnv> {
  const [kafka, controller, registry, management, postgres] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  return {
    ...process.env,
    HOOKSTREAM_STACK_DIR: dir,
    HOOKSTREAM_STACK_POSTGRES: 'private',
    KAFKA_BROKERS: `127.0.0.1:${kafka}`,
    KAFKA_CONTROLLER_PORT: String(controller),
    SCHEMA_REGISTRY_URL: `http://127.0.0.1:${registry}/apis/ccompat/v7`,
    REGISTRY_MANAGEMENT_PORT: String(management),
    DATABASE_URL: `postgres://hookstream:hookstream@127.0.0.1:${postgres}/hookstream`,
  };
}
