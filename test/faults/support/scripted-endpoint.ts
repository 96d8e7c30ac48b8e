import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ReceivedWebhook, TestReceiver } from '../../support/receiver';

/**
 * What the receiver did with one request. Only `ok` (a 200 actually written) tells the engine the delivery
 * succeeded; `dropped`: the connection was gone before a held answer went out (the sender died).
 */
export type Answer = 'ok' | 'error' | 'reset' | 'slow' | 'throttled' | 'dropped';

/** What a script may choose. */
export type ScriptedAnswer = Exclude<Answer, 'dropped'>;

/** Chooses the answer for the next request; `webhookId` and how often that id came before are given. */
export type Script = (webhookId: string, earlierArrivals: number) => ScriptedAnswer;

export interface ScriptOptions {
  /** How long a `slow` request is held before the socket is closed (beyond the endpoint's timeout). */
  readonly slowMs?: number;
  /** How long an `ok` answer takes: a delay keeps attempts in flight, for a crash to land mid-batch. */
  readonly okDelayMs?: number;
  /** The `Retry-After` of a `throttled` (429) answer, in seconds. */
  readonly retryAfterSeconds?: number;
}

/**
 * One path of a TestReceiver answering by a script, and remembering what it answered to every
 * request, so the invariant knows which arrivals the engine should count as delivered.
 */
export class ScriptedEndpoint {
  private readonly answers = new Map<ReceivedWebhook, Answer>();
  private readonly seen = new Map<string, number>();
  private readonly held = new Set<ServerResponse>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly receiver: TestReceiver,
    readonly path: string,
    script: Script,
    private readonly options: ScriptOptions = {},
  ) {
    receiver.answer(path, (webhook, response) => {
      const webhookId = String(webhook.headers['webhook-id']);
      const earlier = this.seen.get(webhookId) ?? 0;
      this.seen.set(webhookId, earlier + 1);
      this.respond(webhook, script(webhookId, earlier), response);
    });
  }

  /** Every request to this path, oldest first. */
  arrivals(): ReceivedWebhook[] {
    return this.receiver.on(this.path);
  }

  answerTo(webhook: ReceivedWebhook): Answer | undefined {
    return this.answers.get(webhook);
  }

  /** Requests received and not answered yet (attempts in flight). */
  get pending(): number {
    return this.held.size;
  }

  /** Answers nothing more: held requests are dropped (for the end of a test). */
  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const response of this.held) response.destroy();
  }

  private respond(webhook: ReceivedWebhook, answer: ScriptedAnswer, response: ServerResponse): void {
    const settle = (given: Answer) => this.answers.set(webhook, given);
    switch (answer) {
      case 'ok':
        return this.later(this.options.okDelayMs ?? 0, response, (alive) => {
          settle(alive ? 'ok' : 'dropped');
          if (alive) response.writeHead(200).end('ok');
        });
      case 'error':
        settle('error');
        return void response.writeHead(500, { 'content-type': 'text/plain' }).end('chaos');
      case 'throttled':
        settle('throttled');
        return void response
          .writeHead(429, { 'retry-after': String(this.options.retryAfterSeconds ?? 1) })
          .end('slow down');
      case 'reset':
        // The request was read; the connection dies before any answer.
        settle('reset');
        return void response.socket?.destroy();
      case 'slow':
        settle('slow');
        return this.later(this.options.slowMs ?? 15_000, response, () => response.destroy());
    }
  }

  /** `act(alive)` after `ms`: alive is false when the connection closed meanwhile. */
  private later(ms: number, response: ServerResponse, act: (alive: boolean) => void): void {
    if (ms <= 0) return act(!response.destroyed);
    this.held.add(response);
    let closed = false;
    const onClosed = () => (closed = true);
    // The sender's death shows as the end of the connection, before any answer is written.
    const socket = response.socket;
    socket?.once('end', onClosed);
    response.once('close', onClosed);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.held.delete(response);
      socket?.off('end', onClosed);
      act(!closed && !response.destroyed && socket?.destroyed === false);
    }, ms);
    this.timers.add(timer);
  }
}

/** Always 200. */
export const alwaysOk: Script = () => 'ok';

/** 500 to a delivery's first attempt, 200 to its retries: every delivery has a retry pending for a while. */
export const failFirstAttempt: Script = (_webhookId, earlier) => (earlier === 0 ? 'error' : 'ok');

/**
 * Answers from a deck shuffled with a fixed seed, dealt in turn: every ten requests get exactly three
 * 500s, one reset, one slow answer and five 200s, in a reproducible order. `throttleAt`: that request
 * (0-based) is answered 429 instead, once.
 */
export function chaosDeck(seed: number, throttleAt?: number): Script {
  const deck: ScriptedAnswer[] = ['error', 'error', 'error', 'reset', 'slow', 'ok', 'ok', 'ok', 'ok', 'ok'];
  const random = seeded(seed);
  let dealt = 0;
  let hand: ScriptedAnswer[] = [];
  return () => {
    const index = dealt++;
    if (hand.length === 0) hand = shuffle([...deck], random);
    const answer = hand.pop() as ScriptedAnswer;
    return index === throttleAt ? 'throttled' : answer;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Numbers in [0, 1) from a seed (a hash of seed and counter), so a failing chaos run replays the same answers. */
function seeded(seed: number): () => number {
  let counter = 0;
  return () => createHash('sha256').update(`${seed}:${counter++}`).digest().readUInt32BE(0) / 2 ** 32;
}
