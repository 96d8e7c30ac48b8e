// Whether two texts of a schema say the same thing, and if not, where they first differ. Formatting
// (whitespace, escapes, key order, `{"type": "string"}` for `"string"`) is no change; anything else
// is, docs and our custom attributes (`allowedValues`, `format`, `optIn`) included: they are part of
// the published contract, and the registry (which ignores them) would not notice.

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

/** The schema with object keys sorted and primitive types spelt as strings. */
export function normalise(value) {
  if (Array.isArray(value)) return value.map(normalise);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'type' && PRIMITIVES.has(value.type)) return value.type;
  return Object.fromEntries(keys.sort().map((key) => [key, normalise(value[key])]));
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

export function sameSchema(before, after) {
  return same(normalise(before), normalise(after));
}

function shown(value) {
  if (value === undefined) return 'absent';
  const json = JSON.stringify(value);
  return json.length > 60 ? `${json.slice(0, 57)}…` : json;
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const isRecord = (value) => isObject(value) && Array.isArray(value.fields);

/**
 * The first difference between two versions of a schema, in words: `field "data.amount" removed`,
 * `field "data.status": "allowedValues" changed from […] to […]`. Fields are named by their path.
 */
export function describeChange(before, after) {
  return changeIn(normalise(before), normalise(after), '') ?? 'changed';
}

function changeIn(before, after, fieldPath) {
  if (same(before, after)) return undefined;
  const where = fieldPath ? `field "${fieldPath}"` : 'the record';
  if (isRecord(before) && isRecord(after)) {
    const names = (record) => record.fields.map((field) => field.name);
    const inside = (name) => (fieldPath ? `${fieldPath}.${name}` : name);
    const removed = names(before).find((name) => !names(after).includes(name));
    if (removed) return `field "${inside(removed)}" removed`;
    const added = names(after).find((name) => !names(before).includes(name));
    if (added) return `field "${inside(added)}" added`;
    if (!same(names(before), names(after))) return `${where}: fields reordered`;
    for (const [index, field] of before.fields.entries()) {
      const change = fieldChange(field, after.fields[index], inside(field.name));
      if (change) return change;
    }
  }
  if (isObject(before) && isObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
      if (key === 'fields' && isRecord(before) && isRecord(after)) continue;
      if (same(before[key], after[key])) continue;
      return `${where}: "${key}" changed from ${shown(before[key])} to ${shown(after[key])}`;
    }
  }
  return `${where}: changed from ${shown(before)} to ${shown(after)}`;
}

function fieldChange(before, after, fieldPath) {
  if (same(before, after)) return undefined;
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    if (key === 'type' || same(before[key], after[key])) continue;
    return `field "${fieldPath}": "${key}" changed from ${shown(before[key])} to ${shown(after[key])}`;
  }
  return changeIn(before.type, after.type, fieldPath);
}
