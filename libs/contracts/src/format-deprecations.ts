import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { EventCatalogue } from './event-catalogue';
import { schemasDir } from './schemas';
import { isSystemEventType } from './system-event-types';

/** A format version announced to stop being sent after `sunsetAt`: one entry of `schemas/deprecations.json`. */
export interface FormatDeprecation {
  readonly type: string;
  readonly version: number;
  /** ISO 8601, normalised to UTC (`2027-06-30T00:00:00.000Z`). */
  readonly sunsetAt: string;
  /** The later format version to move to; null when none is named yet. */
  readonly replacement: number | null;
  readonly note: string | null;
}

/** The deprecation catalogue, validated against the event catalogue. */
export class FormatDeprecations {
  private readonly byVersion: ReadonlyMap<string, FormatDeprecation>;

  constructor(readonly all: readonly FormatDeprecation[]) {
    this.byVersion = new Map(
      all.map((deprecation) => [versionKey(deprecation.type, deprecation.version), deprecation]),
    );
  }

  of(type: string, version: number): FormatDeprecation | undefined {
    return this.byVersion.get(versionKey(type, version));
  }
}

/** The file is wrong: the producer refuses to start, and the message names every bad entry. */
export class InvalidFormatDeprecations extends Error {
  override readonly name = 'InvalidFormatDeprecations';
}

export function defaultFormatDeprecationsFile(): string {
  return join(schemasDir(), 'deprecations.json');
}

/** Reads and validates the deprecation catalogue (`schemas/deprecations.json` unless another file is named). */
export function loadFormatDeprecations(
  catalogue: EventCatalogue,
  path = defaultFormatDeprecationsFile(),
): FormatDeprecations {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InvalidFormatDeprecations(`${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseFormatDeprecations(json, catalogue, path);
}

const FileSchema = z.object({ deprecations: z.array(z.unknown()) }).strict();

const EntrySchema = z
  .object({
    type: z.string().min(1),
    version: z.number().int().min(1),
    sunsetAt: z.iso.datetime({
      offset: true,
      error: 'must be an ISO 8601 date-time with a time zone (e.g. "2027-06-30T00:00:00Z")',
    }),
    replacement: z.number().int().min(1).nullable().optional(),
    note: z.string().max(1000).nullable().optional(),
  })
  .strict();

/** Validates the file's content: each entry's shape, then its type and versions against the catalogue. */
export function parseFormatDeprecations(json: unknown, catalogue: EventCatalogue, source: string): FormatDeprecations {
  const file = FileSchema.safeParse(json);
  if (!file.success) {
    throw new InvalidFormatDeprecations(
      `${source}: must be { "deprecations": [ { "type", "version", "sunsetAt", "replacement", "note" } ] }: ` +
        file.error.issues.map(describeIssue).join('; '),
    );
  }
  const problems: string[] = [];
  const deprecations: FormatDeprecation[] = [];
  const firstIndexOf = new Map<string, number>();
  file.data.deprecations.forEach((raw, index) => {
    const name = entryName(raw, index);
    const entry = EntrySchema.safeParse(raw);
    if (!entry.success) {
      problems.push(...entry.error.issues.map((issue) => `${name}: ${describeIssue(issue)}`));
      return;
    }
    const { type, version, sunsetAt, replacement = null, note = null } = entry.data;
    const entryProblems = checkAgainstCatalogue(catalogue, type, version, replacement);
    const key = versionKey(type, version);
    const earlier = firstIndexOf.get(key);
    if (earlier !== undefined)
      entryProblems.push(`${type} v${version} is already deprecated by deprecations[${earlier}]`);
    else firstIndexOf.set(key, index);
    problems.push(...entryProblems.map((problem) => `${name}: ${problem}`));
    if (entryProblems.length === 0) {
      deprecations.push({ type, version, sunsetAt: new Date(sunsetAt).toISOString(), replacement, note });
    }
  });
  if (problems.length > 0) {
    throw new InvalidFormatDeprecations(`${source}: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  }
  return new FormatDeprecations(deprecations);
}

function checkAgainstCatalogue(
  catalogue: EventCatalogue,
  type: string,
  version: number,
  replacement: number | null,
): string[] {
  const definition = catalogue.get(type);
  if (!definition) return [`"${type}" is not an event type of schemas/`];
  if (isSystemEventType(definition)) return [`${type} is sent by hookstream itself; its versions are not deprecated`];
  const versions = definition.versions.map((candidate) => candidate.version);
  const has = `(${type} has ${versions.map((v) => `v${v}`).join(', ')})`;
  const problems: string[] = [];
  if (!versions.includes(version)) problems.push(`version ${version} is not a format version ${has}`);
  if (replacement !== null) {
    if (replacement <= version)
      problems.push(`replacement ${replacement} must be a later format version than ${version}`);
    else if (!versions.includes(replacement))
      problems.push(`replacement ${replacement} is not a format version ${has}`);
  }
  return problems;
}

/** `deprecations[2] (payout.updated v1)`, or just the index when the entry has no readable type and version. */
function entryName(raw: unknown, index: number): string {
  const { type, version } = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return typeof type === 'string' && typeof version === 'number'
    ? `deprecations[${index}] (${type} v${version})`
    : `deprecations[${index}]`;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  return issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message;
}

const versionKey = (type: string, version: number) => `${type}@${version}`;
