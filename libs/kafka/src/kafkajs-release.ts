import { createRequire } from 'node:module';

/**
 * The kafkajs release whose internals this library mends or reads (request queue, produce encoding, cluster):
 * the last one, and the one the lockfile pins. Another release is left as it is.
 */
const FIXED_KAFKAJS_VERSION = '2.2.4';

/** Whether the installed kafkajs is that release. */
export function isFixedKafkajsRelease(): boolean {
  const { version } = createRequire(__filename)('kafkajs/package.json') as { version: string };
  return version === FIXED_KAFKAJS_VERSION;
}
