// PostgreSQL from Debian's package. "system": the machine's cluster on the configured port,
// started if stopped (and stopped again by `down` only if we started it). "private": a
// throwaway cluster inside the stack directory, for tests that need a whole second stack.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { aptInstall } from './binaries.mjs';
import { StackError } from './config.mjs';
import {
  assertPortFree,
  logFileOf,
  pidFileOf,
  run,
  runOrFail,
  runningPid,
  stopPid,
  waitUntilReady,
} from './processes.mjs';

const asPostgres = (command, args) =>
  process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];

function pgBin(tool) {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) return undefined;
  return join('/usr/lib/postgresql', versions[0], 'bin', tool);
}

function ensureInstalled() {
  if (pgBin('postgres') === undefined || run('sh', ['-c', 'command -v pg_lsclusters']).status !== 0) {
    aptInstall(['postgresql'], 'PostgreSQL is required');
  }
}

function systemClusters() {
  return runOrFail('pg_lsclusters', ['--no-header'])
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [version, name, port, status] = line.trim().split(/\s+/);
      return { version, name, port: Number(port), online: status.startsWith('online') };
    });
}

function systemCluster(config) {
  let clusters = systemClusters();
  if (clusters.length === 0) {
    const version = pgBin('postgres').split('/')[3];
    runOrFail('pg_createcluster', [version, 'main', '--port', String(config.postgres.port)]);
    clusters = systemClusters();
  }
  const cluster = clusters.find((c) => c.port === config.postgres.port);
  if (!cluster) {
    const list = clusters.map((c) => `${c.version}/${c.name} on ${c.port}`).join(', ');
    throw new StackError(
      `no PostgreSQL cluster listens on port ${config.postgres.port} (found: ${list}). Set DATABASE_URL to one of them.`,
    );
  }
  return cluster;
}

const startedMarker = (config) => join(config.runDir, 'postgres.started');
const privateHome = (config) => join(config.stackDir, 'postgres');
const privateData = (config) => join(privateHome(config), 'data');

const isReady = (config) =>
  run(pgBin('pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(config.postgres.port)]).status === 0;

function superuserPsql(config, sql) {
  const connection =
    config.postgres.mode === 'private'
      ? ['-h', privateHome(config), '-p', String(config.postgres.port), '-U', 'postgres']
      : ['-p', String(config.postgres.port)];
  const [command, args] = asPostgres('psql', [...connection, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres']);
  runOrFail(command, args, { input: sql, cwd: '/' });
}

/** The role (allowed to create databases) and the two databases (ours and the registry's), each owned by the role; idempotent. */
function provision(config) {
  const { user, password, database, registryDatabase } = config.postgres;
  const ident = (s) => `"${s.replaceAll('"', '""')}"`;
  const literal = (s) => `'${s.replaceAll("'", "''")}'`;
  const createDatabase = (db) =>
    `SELECT 'CREATE DATABASE ${ident(db)} OWNER ${ident(user)}' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = ${literal(db)})\\gexec\n`;
  superuserPsql(
    config,
    `SELECT 'CREATE ROLE ${ident(user)} LOGIN PASSWORD ${literal(password).replaceAll("'", "''")}' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${literal(user)})\\gexec\n` +
      // Tests and benchmarks that need a database of their own create (and drop) one.
      `ALTER ROLE ${ident(user)} CREATEDB;\n` +
      createDatabase(database) +
      createDatabase(registryDatabase),
  );
}

async function upSystem(config) {
  ensureInstalled();
  const cluster = systemCluster(config);
  if (!cluster.online) {
    await assertPortFree(config.postgres.port, 'PostgreSQL', 'DATABASE_URL');
    runOrFail('pg_ctlcluster', ['--skip-systemctl-redirect', cluster.version, cluster.name, 'start']);
    mkdirSync(config.runDir, { recursive: true });
    writeFileSync(startedMarker(config), `${cluster.version} ${cluster.name}\n`);
  }
  await waitUntilReady({
    name: 'PostgreSQL',
    logFile: `/var/log/postgresql/postgresql-${cluster.version}-${cluster.name}.log`,
    timeoutMs: 60_000,
    probe: async () => isReady(config),
  });
}

async function upPrivate(config) {
  ensureInstalled();
  const home = privateHome(config);
  const data = privateData(config);
  const logFile = logFileOf(config, 'postgres');
  if (runningPid(pidFileOf(config, 'postgres')) !== undefined) return;
  mkdirSync(home, { recursive: true });
  mkdirSync(config.logDir, { recursive: true });
  if (process.getuid?.() === 0) {
    // initdb and postgres refuse to run as root: the cluster belongs to the postgres user.
    for (let dir = config.stackDir; dir !== '/'; dir = join(dir, '..')) chmodSync(dir, 0o755);
    runOrFail('chown', ['postgres', home]);
    writeFileSync(logFile, '', { flag: 'a' });
    runOrFail('chown', ['postgres', logFile]);
  }
  if (!existsSync(join(data, 'PG_VERSION'))) {
    const [command, args] = asPostgres(pgBin('initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-locale',
    ]);
    runOrFail(command, args, { cwd: '/' });
  }
  const options = `-c port=${config.postgres.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${home} -c fsync=off`;
  const [command, args] = asPostgres(pgBin('pg_ctl'), [
    '-D',
    data,
    '-l',
    logFile,
    '-w',
    '-t',
    '60',
    '-o',
    options,
    'start',
  ]);
  runOrFail(command, args, { cwd: '/' });
  const pid = readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0].trim();
  writeFileSync(pidFileOf(config, 'postgres'), `${pid}\n`);
}

export const postgres = {
  name: 'postgres',

  async status(config) {
    const pid =
      config.postgres.mode === 'private'
        ? runningPid(pidFileOf(config, 'postgres'))
        : existsSync(startedMarker(config))
          ? 'system'
          : undefined;
    return { pid, port: config.postgres.port, ready: pgBin('pg_isready') !== undefined && isReady(config) };
  },

  // The machine's cluster is checked when it is started (upSystem): it may legitimately be up already.
  ports(config) {
    return config.postgres.mode === 'private' && runningPid(pidFileOf(config, 'postgres')) === undefined
      ? [[config.postgres.port, 'PostgreSQL', 'DATABASE_URL']]
      : [];
  },

  async up(config) {
    await (config.postgres.mode === 'private' ? upPrivate(config) : upSystem(config));
    provision(config);
  },

  async down(config) {
    if (config.postgres.mode === 'private') {
      const pid = runningPid(pidFileOf(config, 'postgres'));
      if (pid === undefined) return undefined;
      // SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
      await stopPid(pid, { name: 'PostgreSQL', signal: 'SIGINT' });
      rmSync(pidFileOf(config, 'postgres'), { force: true });
      return pid;
    }
    if (!existsSync(startedMarker(config))) return undefined;
    const [version, name] = readFileSync(startedMarker(config), 'utf8').trim().split(' ');
    run('pg_ctlcluster', ['--skip-systemctl-redirect', version, name, 'stop', '-m', 'fast']);
    rmSync(startedMarker(config), { force: true });
    return `${version}/${name}`;
  },
};
