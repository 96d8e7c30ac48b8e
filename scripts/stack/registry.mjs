// Apicurio Registry (Quarkus app), serving the Confluent-compatible API, its storage in Postgres.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { registryHome } from './binaries.mjs';
import { logFileOf, pidFileOf, runningPid, startDetached, stopPid, waitUntilReady } from './processes.mjs';

async function answers(url) {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}

export const registry = {
  name: 'registry',

  async status(config) {
    const pid = runningPid(pidFileOf(config, 'registry'));
    const ready = pid !== undefined && (await answers(config.registry.url).catch(() => false));
    return { pid, port: config.registry.port, ready };
  },

  ports(config) {
    return runningPid(pidFileOf(config, 'registry')) !== undefined
      ? []
      : [
          [config.registry.port, 'schema registry', 'SCHEMA_REGISTRY_URL'],
          [config.registry.managementPort, 'schema registry management', 'REGISTRY_MANAGEMENT_PORT'],
        ];
  },

  async up(config) {
    const pidFile = pidFileOf(config, 'registry');
    let pid = runningPid(pidFile);
    if (pid === undefined) {
      const { postgres } = config;
      const workDir = join(config.stackDir, 'registry');
      mkdirSync(workDir, { recursive: true });
      pid = startDetached({
        command: config.java,
        args: [
          ...config.registry.heap.split(' '),
          '-XX:+ExitOnOutOfMemoryError',
          // Without a global rule, a subject created without its own reports NONE, and the
          // registry client's register() refuses the mismatch with the level it asks for.
          `-Dapicurio.rules.global.compatibility=${config.registry.compatibility}`,
          '-jar',
          join(registryHome(config), 'quarkus-run.jar'),
        ],
        cwd: workDir,
        env: {
          ...process.env,
          QUARKUS_HTTP_HOST: '127.0.0.1',
          QUARKUS_HTTP_PORT: String(config.registry.port),
          QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
          QUARKUS_MANAGEMENT_PORT: String(config.registry.managementPort),
          QUARKUS_OTEL_SDK_DISABLED: 'true',
          APICURIO_STORAGE_KIND: 'sql',
          APICURIO_STORAGE_SQL_KIND: 'postgresql',
          APICURIO_DATASOURCE_URL: `jdbc:postgresql://127.0.0.1:${postgres.port}/${postgres.registryDatabase}`,
          APICURIO_DATASOURCE_USERNAME: postgres.user,
          APICURIO_DATASOURCE_PASSWORD: postgres.password,
          APICURIO_DATASOURCE_JDBC_INITIAL_SIZE: '2',
          APICURIO_DATASOURCE_JDBC_MIN_SIZE: '2',
          APICURIO_DATASOURCE_JDBC_MAX_SIZE: '10',
        },
        logFile: logFileOf(config, 'registry'),
        pidFile,
      });
      await waitUntilReady({
        name: 'Schema registry',
        pid,
        logFile: logFileOf(config, 'registry'),
        timeoutMs: 180_000,
        probe: () => answers(config.registry.url),
      });
    }
    return pid;
  },

  async down(config) {
    const pidFile = pidFileOf(config, 'registry');
    const pid = runningPid(pidFile);
    if (pid !== undefined) await stopPid(pid, { name: 'Schema registry' });
    rmSync(pidFile, { force: true });
    return pid;
  },
};
