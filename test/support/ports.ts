import { randomInt } from 'node:crypto';
import { createServer } from 'node:net';

/**
 * Ports below Linux's ephemeral range (32768–60999), where the OS picks the local port of every outgoing
 * connection: a port the OS handed out as free could be taken by a Kafka or HTTP client's connection before the
 * app it was meant for listens on it (seen in CI: EADDRINUSE). Picked at random among 12 768, checked free, and
 * never handed out twice by one process; two test processes picking one port in the second before its app
 * listens is far less likely than an outgoing connection taking it was.
 */
const FIRST_PORT = 20_000;
const LAST_PORT = 32_767;
const handedOut = new Set<number>();

/** A TCP port nothing listens on right now, for an app to listen on. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < 100; tries++) {
    const port = FIRST_PORT + randomInt(LAST_PORT - FIRST_PORT + 1);
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
