// The schemas directory as the event catalogue reads it (libs/contracts/src/schemas.ts): each event
// type's format versions `<type>/v<N>.avsc`, and the engine's own records `internal/<name>.avsc`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import avsc from 'avsc';

// The catalogue's own rule: a folder named otherwise is silently not an event type.
export const EVENT_TYPE_FOLDER = /^[a-z]+\.[a-z_]+$/;
// No leading zero: the catalogue would read `v02.avsc` as version 2, next to a `v2.avsc`.
export const VERSION_FILE = /^v([1-9]\d*)\.avsc$/;
const INTERNAL_FOLDER = 'internal';

/**
 * A schema's text parsed as JSON and as Avro: `{ json, avro, fullName }`, or `{ error }` saying why not.
 * The top level must be a named record: its full name makes the registry subject.
 */
export function parseSchema(text) {
  let json;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { error: `not valid JSON: ${error.message}` };
  }
  let avro;
  try {
    avro = avsc.Type.forSchema(json);
  } catch (error) {
    return { error: `not a valid Avro schema: ${error.message}` };
  }
  if (avro.typeName !== 'record') {
    return { error: `the top-level type is ${avro.typeName}, not a record (a record's full name makes the subject)` };
  }
  return { json, avro, fullName: avro.name };
}

function readSchemaFile(path) {
  return { path, ...parseSchema(readFileSync(path, 'utf8')) };
}

/**
 * Every schema file under `dir`, parsed: `eventTypes` (type → `{ path, versions }`, sorted) and
 * `internal`, plus what the catalogue would silently ignore (misnamed folders and files) as `layoutProblems`.
 */
export function readSchemasDir(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`no schemas directory at ${dir}`);
  const eventTypes = new Map();
  const internal = [];
  const layoutProblems = [];
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  for (const folder of folders) {
    const folderPath = join(dir, folder);
    const avscFiles = readdirSync(folderPath)
      .filter((name) => name.endsWith('.avsc'))
      .sort();
    if (folder === INTERNAL_FOLDER) {
      for (const name of avscFiles) internal.push(readSchemaFile(join(folderPath, name)));
      continue;
    }
    if (!EVENT_TYPE_FOLDER.test(folder)) {
      layoutProblems.push({
        path: folderPath,
        message: `not an event type folder (lower-case "<noun>.<verb or state>", or "internal"): the catalogue ignores it`,
      });
      continue;
    }
    const versions = [];
    for (const name of avscFiles) {
      const match = VERSION_FILE.exec(name);
      if (!match) {
        layoutProblems.push({
          path: join(folderPath, name),
          message: 'not named v<N>.avsc (N from 1, no leading zero): the catalogue ignores it',
        });
        continue;
      }
      versions.push({ version: Number(match[1]), ...readSchemaFile(join(folderPath, name)) });
    }
    eventTypes.set(folder, { path: folderPath, versions: versions.sort((a, b) => a.version - b.version) });
  }
  return { eventTypes, internal, layoutProblems };
}
