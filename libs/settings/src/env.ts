import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

/** A bad or missing setting: the app refuses to start and says which one. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses env against a schema into a frozen value, or throws a ConfigError naming every bad variable. */
export function parseEnv<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv): Readonly<z.output<Schema>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(`invalid configuration:\n${z.prettifyError(result.error)}`);
  }
  return Object.freeze(result.data);
}

/** `1`/`true`/`yes` and `0`/`false`/`no`/empty; anything else is an error, not a silent false. */
export const envFlag = z
  .enum(['1', 'true', 'yes', '0', 'false', 'no', ''])
  .default('')
  .transform((value) => ['1', 'true', 'yes'].includes(value));

export const envPort = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

export const runtimeSettingsSchema = z.object({
  /** Local mode: `npm start`, the tests and the bench. Relaxes what API.md says it relaxes, nothing else. */
  HOOKSTREAM_LOCAL: envFlag,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('0.0.0.0'),
  /** Seals endpoint secrets and peppers API key hashes: base64 of 32 bytes. Local mode keeps one in SECRETS_KEY_FILE. */
  SECRETS_KEY: z.preprocess((value) => (value === '' ? undefined : value), z.string().optional()),
  SECRETS_KEY_FILE: z.string().default('.stack/secrets.key'),
});

/** hookstream's version, from the root package.json (found from source and from dist/ alike). */
export function hookstreamVersion(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version: string };
    if (manifest.name === 'hookstream') return manifest.version;
  }
  return '0.0.0';
}

/** Builds a value from a setting; an error becomes a ConfigError that names the variable. */
export function fromSetting<T>(variable: string, build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n✖ ${(error as Error).message}\n  → at ${variable}`);
  }
}
