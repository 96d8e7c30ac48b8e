import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** schemas/ at the repository root, found from source (ts-jest) and from the build output alike. */
export function schemasDir(from = __dirname): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'schemas');
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
  }
  throw new Error(`no schemas/ directory above ${from}`);
}

export interface SchemaFile {
  /** The event type, from the folder name (e.g. `payin.succeeded`). */
  readonly type: string;
  /** The format version, from the file name (`v2.avsc` → 2), never from the registry's numbering. */
  readonly formatVersion: number;
  readonly path: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

export function loadSchemaFiles(dir = schemasDir()): readonly SchemaFile[] {
  const files: SchemaFile[] = [];
  for (const type of readdirSync(dir, { withFileTypes: true })) {
    if (!type.isDirectory()) continue;
    for (const file of readdirSync(join(dir, type.name))) {
      const match = /^v(\d+)\.avsc$/.exec(file);
      if (!match) continue;
      const path = join(dir, type.name, file);
      files.push({
        type: type.name,
        formatVersion: Number(match[1]),
        path,
        schema: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>,
      });
    }
  }
  return files.sort((a, b) => a.type.localeCompare(b.type) || a.formatVersion - b.formatVersion);
}
