import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Ports below Linux's ephemeral range (32768–60999), where the OS picks the local port of every outgoing
 * connection: a port the OS handed out as free could be taken by a Kafka or HTTP client's connection before the
 * app it was meant for listens on it (seen in CI: EADDRINUSE). Each jest worker draws from its own stripe, and
 * a port is never handed out twice by one process, so the tests running at once never pick the same one.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_767;
const STRIPES = 16;
const handedOut = new Set<number>();

/** A TCP port nothing listens on right now, for an app to listen on. */
export async function freePort(): Promise<number> {
  const stripe = (Number(process.env.JEST_WORKER_ID ?? '1') - 1) % STRIPES;
  const slots = Math.floor((LAST_PORT - FIRST_PORT + 1) / STRIPES);
  for (let tries = 0; tries < 100; tries++) {
    const port = FIRST_PORT + STRIPES * randomInt(slots) + stripe;
    if (handedOut.has(port)) continue;
    // Set aside before the check, which waits: a call running alongside (Promise.all) must not take it too.
    handedOut.add(port);
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port between ${FIRST_PORT} and ${LAST_PORT} after 100 tries`);
}

/** Whether a listener can bind the port on every address, as the apps do. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
