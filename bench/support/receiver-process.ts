import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { Arrival, ReceiverCommand, ReceiverReply, ReceiverStats } from './receiver-protocol';

/** The fast local receiver (receiver-main.ts) as a child process, listening on every given loopback address. */
export interface ReceiverProcess {
  readonly port: number;
  readonly pid: number;
  setSecrets(secretsByPath: Readonly<Record<string, string>>): Promise<void>;
  reset(options: { recordArrivals: boolean }): Promise<void>;
  stats(): Promise<ReceiverStats>;
  arrivals(): Promise<readonly Arrival[]>;
  stop(): Promise<void>;
}

export async function startReceiver(addresses: readonly string[]): Promise<ReceiverProcess> {
  const child = fork(join(__dirname, 'receiver-main.js'), [], {
    env: { ...process.env, BENCH_RECEIVER_ADDRESSES: addresses.join(',') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (reply: ReceiverReply) => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the receiver exited (code ${code}) before listening`)));
    child.on('message', (message: { ready?: number; id?: number; reply?: ReceiverReply }) => {
      if (message.ready !== undefined) return resolve(message.ready);
      if (message.id !== undefined && message.reply) pending.get(message.id)?.(message.reply);
      if (message.id !== undefined) pending.delete(message.id);
    });
  });
  const ask = (command: ReceiverCommand) =>
    new Promise<ReceiverReply>((resolve, reject) => {
      if (!child.connected) return reject(new Error('the receiver is gone'));
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ id, command });
    });
  return {
    port,
    pid: child.pid as number,
    setSecrets: async (secretsByPath) => void (await ask({ kind: 'secrets', secretsByPath })),
    reset: async ({ recordArrivals }) => void (await ask({ kind: 'reset', recordArrivals })),
    stats: async () => {
      const reply = await ask({ kind: 'stats' });
      if (reply.kind !== 'stats') throw new Error(`the receiver answered ${reply.kind} to stats`);
      return reply.stats;
    },
    arrivals: async () => {
      const reply = await ask({ kind: 'arrivals' });
      if (reply.kind !== 'arrivals') throw new Error(`the receiver answered ${reply.kind} to arrivals`);
      return reply.arrivals;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
