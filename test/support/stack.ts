import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

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
