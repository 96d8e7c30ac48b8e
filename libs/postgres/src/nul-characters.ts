/**
 * Postgres text and jsonb cannot hold U+0000. A request carrying one is refused where it enters (a clear 400,
 * not a database error); a record that reached the log anyway is projected with U+FFFD in its place, its exact
 * bytes kept beside it.
 */
const NUL = '\u0000';

/** The path (`data.note`, `items.2`) of the first string or key holding U+0000, `''` for the value itself. */
export function nulCharacterPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes(NUL) ? path : undefined;
  if (!isArrayOrPlainObject(value)) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    if (key.includes(NUL)) return childPath;
    const found = nulCharacterPath(child, childPath);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A copy with every U+0000 in strings and keys replaced by U+FFFD; the value itself when it holds none. */
export function withoutNulCharacters<T>(value: T): T {
  if (nulCharacterPath(value) === undefined) return value;
  return replaceNul(value) as T;
}

function replaceNul(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(NUL, '\uFFFD');
  if (Array.isArray(value)) return value.map(replaceNul);
  if (!isArrayOrPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, child]) => [replaceNul(key), replaceNul(child)]));
}

/**
 * The JSON text of a value for a jsonb column, every U+0000 replaced by U+FFFD. JSON.stringify writes U+0000 as
 * `\u0000`, so the value is walked only when its text holds that (or an escaped backslash before `u0000`).
 */
export function jsonWithoutNulCharacters(value: unknown): string {
  const json = JSON.stringify(value);
  return json.includes('\\u0000') ? JSON.stringify(withoutNulCharacters(value)) : json;
}

/** Dates, buffers and other objects are values, not containers of text. */
function isArrayOrPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object') return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return Array.isArray(value) || prototype === Object.prototype || prototype === null;
}
