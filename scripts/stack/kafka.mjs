// Apache Kafka, one node in KRaft combined mode, run straight from the jars Maven fetched.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaLibs } from './binaries.mjs';
import {
  isPortOpen,
  logFileOf,
  pidFileOf,
  runOrFail,
  runningPid,
  startDetached,
  stopPid,
  waitUntilReady,
} from './processes.mjs';

const STARTED_LINE = 'Kafka Server started';

function serverProperties(config, dataDir) {
  const { port, controllerPort } = config.kafka;
  return `# written by scripts/stack/kafka.mjs at every start
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${dataDir}
# topics are created by the apps' topics module, with their partitions and retention
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
`;
}

const LOG4J2 = `status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = WARN
`;

export const kafka = {
  name: 'kafka',

  async status(config) {
    const pid = runningPid(pidFileOf(config, 'kafka'));
    const ready = pid !== undefined && (await isPortOpen(config.kafka.port));
    return { pid, port: config.kafka.port, ready };
  },

  ports(config) {
    return runningPid(pidFileOf(config, 'kafka')) !== undefined
      ? []
      : [
          [config.kafka.port, 'Kafka', 'KAFKA_BROKERS=127.0.0.1:<port>'],
          [config.kafka.controllerPort, 'Kafka controller', 'KAFKA_CONTROLLER_PORT'],
        ];
  },

  async up(config) {
    const pidFile = pidFileOf(config, 'kafka');
    const logFile = logFileOf(config, 'kafka');
    let pid = runningPid(pidFile);
    if (pid === undefined) {
      const home = join(config.stackDir, 'kafka');
      const dataDir = join(home, 'data');
      mkdirSync(dataDir, { recursive: true });
      const propertiesFile = join(home, 'server.properties');
      const log4jFile = join(home, 'log4j2.properties');
      writeFileSync(propertiesFile, serverProperties(config, dataDir));
      writeFileSync(log4jFile, LOG4J2);
      const jvmLogging = [`-Dlog4j2.configurationFile=${log4jFile}`, `-Dkafka.logs.dir=${config.logDir}`];
      const classpath = join(kafkaLibs(config), '*');
      if (!existsSync(join(dataDir, 'meta.properties'))) {
        // A KRaft cluster id is 16 random bytes in URL-safe base64, as `random-uuid` prints; like Kafka's
        // own generator, never one starting with '-', which the tool's argument parser takes for an option.
        let clusterId;
        do clusterId = randomBytes(16).toString('base64url');
        while (clusterId.startsWith('-'));
        runOrFail(config.java, [
          ...jvmLogging,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '--standalone',
          '-t',
          clusterId,
          '-c',
          propertiesFile,
        ]);
      }
      const startOffset = existsSync(logFile) ? readFileSync(logFile).length : 0;
      pid = startDetached({
        command: config.java,
        args: [
          ...config.kafka.heap.split(' '),
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          ...jvmLogging,
          '-cp',
          classpath,
          'kafka.Kafka',
          propertiesFile,
        ],
        cwd: home,
        env: process.env,
        logFile,
        pidFile,
      });
      // The broker opens its client port only once it is unfenced; the log line confirms this start finished.
      await waitUntilReady({
        name: 'Kafka',
        pid,
        logFile,
        timeoutMs: 120_000,
        probe: async () =>
          readFileSync(logFile).subarray(startOffset).includes(STARTED_LINE) && (await isPortOpen(config.kafka.port)),
      });
    }
    return pid;
  },

  async down(config) {
    const pidFile = pidFileOf(config, 'kafka');
    const pid = runningPid(pidFile);
    if (pid !== undefined) await stopPid(pid, { name: 'Kafka', timeoutMs: 60_000 });
    rmSync(pidFile, { force: true });
    return pid;
  },
};
