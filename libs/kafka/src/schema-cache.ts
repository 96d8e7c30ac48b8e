import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the cache says what it skipped; pino's logger fits. */
export interface SchemaCacheLogger {
  warn(details: Record<string, unknown>, message: string): void;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The schemas an app registered or fetched, on disk, so that it can start and keep decoding while
 * the registry is down. One small JSON file per entry, written atomically (temp file, then rename):
 * the apps sharing a directory never overwrite each other's entries, and a reader never sees half
 * a file. A file that cannot be read or parsed is skipped with a warning, never an error.
 *
 * Schema ids are the registry's: the directory is one per registry URL, so that another registry's
 * ids (a test's throwaway stack) are never mistaken for this one's.
 */
export class PersistedSchemaCache {
  private readonly dir: string;
  private writeFailureLogged = false;

  constructor(
    baseDir: string,
    registryUrl: string,
    private readonly logger: SchemaCacheLogger,
  ) {
    this.dir = join(baseDir, sha256(registryUrl.replace(/\/+$/, '')).slice(0, 16));
  }

  /** The schema text the registry gave for this id, if persisted. */
  schemaText(id: number): string | undefined {
    const entry = this.read<{ id: number; schema: string }>(join('ids', `${id}.json`));
    return entry?.id === id && typeof entry.schema === 'string' ? entry.schema : undefined;
  }

  /** The id the registry gave for this (subject, canonical schema), if persisted. */
  registeredId(subject: string, canonicalSchema: string): number | undefined {
    const entry = this.read<{ subject: string; schema: string; id: number }>(
      this.registrationFile(subject, canonicalSchema),
    );
    const matches = entry?.subject === subject && entry.schema === canonicalSchema;
    return matches && Number.isInteger(entry.id) ? entry.id : undefined;
  }

  rememberSchema(id: number, schemaText: string): void {
    this.write(join('ids', `${id}.json`), { id, schema: schemaText });
  }

  rememberRegistration(subject: string, canonicalSchema: string, id: number): void {
    this.write(this.registrationFile(subject, canonicalSchema), { subject, schema: canonicalSchema, id });
    this.rememberSchema(id, canonicalSchema);
  }

  private registrationFile(subject: string, canonicalSchema: string): string {
    return join('subjects', `${sha256(`${subject}\u0000${canonicalSchema}`)}.json`);
  }

  private read<T>(file: string): Partial<T> | undefined {
    const path = join(this.dir, file);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.warn({ err: error, path }, 'persisted schema cache entry unreadable; ignored');
      }
      return undefined;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null) return parsed as Partial<T>;
    } catch {
      // Reported below, as any other content that is not an entry.
    }
    this.logger.warn({ path }, 'persisted schema cache entry corrupt; ignored');
    return undefined;
  }

  /** Best effort: an app that cannot persist (read-only disk) still works, only without the fallback. */
  private write(file: string, entry: Record<string, unknown>): void {
    const path = join(this.dir, file);
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(temp, JSON.stringify(entry));
      renameSync(temp, path);
    } catch (error) {
      try {
        rmSync(temp, { force: true });
      } catch {
        // Nothing more to do: a stray temp file is never read.
      }
      if (!this.writeFailureLogged) {
        this.writeFailureLogged = true;
        this.logger.warn({ err: error, path }, 'cannot persist schemas; a registry outage will not be survived');
      }
    }
  }
}
