import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';

export type { SchemaRegistry };

/**
 * Every subject is BACKWARD_TRANSITIVE, the same as the registry's global default: the client
 * compares the level it passes with the subject's and refuses a mismatch.
 */
export const SUBJECT_COMPATIBILITY = COMPATIBILITY.BACKWARD_TRANSITIVE;

/** No registry request may wait forever: a stuck one fails after `requestTimeoutMs` instead. */
export function createSchemaRegistry(url: string, { requestTimeoutMs = 10_000 } = {}): SchemaRegistry {
  return new SchemaRegistry({
    host: url,
    middlewares: [
      () => ({
        prepareRequest: (next) => next().then((request) => request.enhance({ timeout: requestTimeoutMs })),
      }),
    ],
  });
}

/** Subject name under Confluent's TopicRecordNameStrategy: `<topic>-<record full name>`. */
export function subjectFor(topic: string, schema: Readonly<Record<string, unknown>>): string {
  const name = String(schema['name']);
  const namespace = schema['namespace'];
  return `${topic}-${typeof namespace === 'string' && !name.includes('.') ? `${namespace}.${name}` : name}`;
}

/**
 * The text we register for a schema: its JSON with every object's keys sorted and no whitespace, so a
 * reformatted or reordered file is the same schema to any registry, not a new version.
 */
export function canonicalSchemaJson(schema: unknown): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((key) => [key, sorted((value as Record<string, unknown>)[key])]),
          )
        : value;
  return JSON.stringify(sorted(schema));
}

/** Registers an Avro schema under its subject (a no-op when already registered) and returns its id. */
export async function registerAvroSchema(
  registry: SchemaRegistry,
  topic: string,
  schema: Readonly<Record<string, unknown>>,
): Promise<{ id: number; subject: string }> {
  const subject = subjectFor(topic, schema);
  // Registering is idempotent: a request that timed out is simply made again, twice at most. So is one
  // that lost the race to set a new subject's compatibility to another app starting at the same moment
  // (409, the rule already exists): the second time the subject has it, and it is only compared.
  for (let attempt = 1; ; attempt++) {
    try {
      const { id } = await registry.register(
        { type: SchemaType.AVRO, schema: canonicalSchemaJson(schema) },
        { subject, compatibility: SUBJECT_COMPATIBILITY },
      );
      return { id, subject };
    } catch (error) {
      if (attempt >= 3 || !(isTimeout(error) || isCompatibilityRace(error))) throw error;
    }
  }
}

const isTimeout = (error: unknown) => /\bTimeout \(\d+ms\)/.test((error as Error).message);
const isCompatibilityRace = (error: unknown) =>
  (error as { status?: unknown }).status === 409 && /already exists/i.test((error as Error).message);

/** Network failures as the registry client reports them (with a made-up status 400), and its request timeout. */
const NETWORK_FAILURE =
  /\bE(CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|TIMEDOUT|PIPE|AI_AGAIN)\b|socket hang up|\bTimeout \(\d+ms\)/;

/**
 * The registry could not answer (down, unreachable, overloaded), as opposed to answering no: worth
 * falling back to cached schemas. A 404 or a refused schema (4xx) is an answer, never this.
 */
export function isRegistryUnreachable(error: unknown): boolean {
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && (status >= 500 || status === 404)) return status >= 500;
  return NETWORK_FAILURE.test(error instanceof Error ? error.message : String(error));
}
