// Can a reader schema read data written with older schemas? avsc's resolver gives the verdict; a walk
// over both schemas names the field and the rule, since avsc only says e.g. `cannot read "long" as
// "string"`. The walk also enforces what Avro cannot see: our field constraints (`allowedValues`,
// `format`) and logical types, whose changes Avro resolves silently into misread or invalid values.

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
// Avro's promotions: a writer's type (key) the reader may read as one of these.
const PROMOTIONS = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};
const NAMED = new Set(['record', 'error', 'enum', 'fixed']);

const qualify = (name, namespace) => (name.includes('.') || !namespace ? name : `${namespace}.${name}`);
const shortName = (fullName) => fullName.slice(fullName.lastIndexOf('.') + 1);

/**
 * A schema's JSON as a graph of `{ kind, … }` nodes in which a named type's references point at its
 * definition, so the walk needs no symbol table. Assumes the schema already parsed as Avro.
 */
export function typeGraph(schema) {
  const named = new Map();
  const build = (json, namespace) => {
    if (typeof json === 'string') {
      if (PRIMITIVES.has(json)) return { kind: json };
      return named.get(qualify(json, namespace)) ?? named.get(json);
    }
    if (Array.isArray(json)) return { kind: 'union', branches: json.map((branch) => build(branch, namespace)) };
    if (NAMED.has(json.type)) {
      const fullName = qualify(json.name, json.namespace ?? namespace);
      const ownNamespace = fullName.includes('.') ? fullName.slice(0, fullName.lastIndexOf('.')) : undefined;
      const node = {
        kind: json.type === 'error' ? 'record' : json.type,
        fullName,
        aliases: (json.aliases ?? []).map((alias) => qualify(alias, ownNamespace)),
        logicalType: json.logicalType,
      };
      // Registered before its fields are built: a recursive record refers to itself.
      named.set(fullName, node);
      if (node.kind === 'record') {
        node.fields = json.fields.map((field) => ({
          name: field.name,
          aliases: field.aliases ?? [],
          type: build(field.type, ownNamespace),
          hasDefault: 'default' in field,
          allowedValues: field.allowedValues,
          format: field.format,
        }));
      }
      if (node.kind === 'enum') Object.assign(node, { symbols: json.symbols, default: json.default });
      if (node.kind === 'fixed') node.size = json.size;
      return node;
    }
    if (json.type === 'array') return { kind: 'array', items: build(json.items, namespace) };
    if (json.type === 'map') return { kind: 'map', values: build(json.values, namespace) };
    // `{ "type": "long", "logicalType": … }`, or a primitive or reference spelt as an object.
    const inner = build(json.type, namespace);
    return json.logicalType ? { ...inner, logicalType: json.logicalType } : inner;
  };
  return build(schema, undefined);
}

export function describeType(node) {
  const logical = node.logicalType ? `${node.logicalType} ` : '';
  switch (node.kind) {
    case 'union':
      return `[${node.branches.map(describeType).join(', ')}]`;
    case 'array':
      return `array of ${describeType(node.items)}`;
    case 'map':
      return `map of ${describeType(node.values)}`;
    case 'record':
    case 'enum':
    case 'fixed':
      return `${logical}${node.kind} ${shortName(node.fullName)}`;
    default:
      return `${logical}${node.kind}`;
  }
}

const namesMatch = (reader, writer) => reader.fullName === writer.fullName || reader.aliases.includes(writer.fullName);

const isPromotion = (reader, writer) => PROMOTIONS[writer.kind]?.includes(reader.kind) ?? false;

/**
 * The reader type that reads the writer's values, if any: the reader itself, or the union branch
 * Avro would pick (the first matching exactly, else the first promotion). A same-kind named type
 * that lost its name is still returned, so that the rename gets its own message.
 */
function readerFor(reader, writer) {
  if (reader.kind !== 'union') return reader.kind === writer.kind || isPromotion(reader, writer) ? reader : undefined;
  const sameKind = reader.branches.filter((branch) => branch.kind === writer.kind);
  return (
    sameKind.find((branch) => !NAMED.has(branch.kind) || namesMatch(branch, writer)) ??
    reader.branches.find((branch) => isPromotion(branch, writer)) ??
    sameKind[0]
  );
}

/**
 * Why a reader record cannot read (or would misread) what the writer record wrote: a list of
 * `{ path, what, effect, rule, isResolution }`. The top-level records' names are not compared here:
 * the caller checks those with their own message.
 */
export function readProblems(readerSchema, writerSchema) {
  const problems = [];
  const seen = new Set();
  const add = (problem) => problems.push(problem);
  const join = (path, name) => (path ? `${path}.${name}` : name);

  const typeChanged = (reader, writer, path, effect = 'cannot be read') =>
    add({
      path,
      what: `changed type from ${describeType(writer)} to ${describeType(reader)}`,
      effect,
      rule: "a type may change only along Avro's promotions (int→long→float→double, string↔bytes) or into a union holding it",
      isResolution: true,
    });

  const compareFields = (reader, writer, path) => {
    const pair = `${reader.fullName}|${writer.fullName}`;
    if (seen.has(pair)) return;
    seen.add(pair);
    for (const field of reader.fields) {
      const fieldPath = join(path, field.name);
      const written = writer.fields.find((w) => w.name === field.name || field.aliases.includes(w.name));
      if (!written) {
        if (!field.hasDefault) {
          add({
            path: fieldPath,
            what: `(${describeType(field.type)}) has no default`,
            effect: 'cannot be read',
            rule: 'a new field needs a default; a renamed one keeps its old name in "aliases"',
            isResolution: true,
          });
        }
        continue;
      }
      compare(field.type, written.type, fieldPath);
      compareConstraints(field, written, fieldPath);
    }
  };

  const compareConstraints = (field, written, path) => {
    if (field.allowedValues) {
      const dropped = written.allowedValues?.filter((value) => !field.allowedValues.includes(value));
      if (!written.allowedValues || dropped.length > 0) {
        add({
          path,
          what: written.allowedValues
            ? `drops ${dropped.map((value) => JSON.stringify(value)).join(', ')} from its allowedValues`
            : `gained allowedValues ${JSON.stringify(field.allowedValues)}`,
          effect: 'may hold values it no longer allows',
          rule: 'allowedValues may grow, never shrink or appear',
          isResolution: false,
        });
      }
    }
    if (field.format !== undefined && field.format !== written.format) {
      add({
        path,
        what: `changed format from ${written.format ?? 'none'} to ${field.format}`,
        effect: 'may not be in that format',
        rule: "a field's format may be dropped, never added or changed",
        isResolution: false,
      });
    }
  };

  const compare = (reader, writer, path) => {
    // Any branch of a writer's union may have been written: the reader must read each one.
    for (const written of writer.kind === 'union' ? writer.branches : [writer]) {
      const target = readerFor(reader, written);
      if (target) compareResolved(target, written, path);
      else
        typeChanged(
          reader,
          writer,
          path,
          writer === written ? undefined : `holding ${describeType(written)} cannot be read`,
        );
    }
  };

  // Two types of the same kind (or a promotion): names, logical types, and what they contain.
  const compareResolved = (reader, writer, path) => {
    if (NAMED.has(reader.kind) && !namesMatch(reader, writer)) {
      add({
        path,
        what: `(${describeType(reader)}) was renamed from ${writer.fullName} without an alias`,
        effect: 'cannot be read',
        rule: 'a renamed record, enum or fixed keeps its old name in "aliases"',
        isResolution: true,
      });
      return;
    }
    if ((reader.logicalType ?? 'none') !== (writer.logicalType ?? 'none')) {
      add({
        path,
        what: `changed logical type from ${writer.logicalType ?? 'none'} to ${reader.logicalType ?? 'none'}`,
        effect: 'would be misread',
        rule: "a field's logical type never changes",
        isResolution: false,
      });
    }
    switch (reader.kind) {
      case 'record':
        return compareFields(reader, writer, path);
      case 'enum': {
        const dropped = writer.symbols.filter((symbol) => !reader.symbols.includes(symbol));
        if (dropped.length > 0 && reader.default === undefined) {
          add({
            path,
            what: `(${describeType(reader)}) drops ${dropped.map((s) => JSON.stringify(s)).join(', ')} and has no default symbol`,
            effect: `holding ${dropped.length > 1 ? 'them' : 'it'} cannot be read`,
            rule: 'an enum symbol may be removed only when the enum has a "default"',
            isResolution: true,
          });
        }
        return;
      }
      case 'fixed':
        if (reader.size !== writer.size) {
          add({
            path,
            what: `(${describeType(reader)}) changed size from ${writer.size} to ${reader.size}`,
            effect: 'cannot be read',
            rule: "a fixed type's size never changes",
            isResolution: true,
          });
        }
        return;
      case 'array':
        return compare(reader.items, writer.items, `${path}[]`);
      case 'map':
        return compare(reader.values, writer.values, `${path}{}`);
      default:
        return;
    }
  };

  compareFields(typeGraph(readerSchema), typeGraph(writerSchema), '');
  return problems;
}

/** "v1", "v1 and v2", "v1, v2 and v3". */
export const listOf = (labels) =>
  labels.length < 2 ? labels.join('') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;

/**
 * Messages saying why `reader` (`{ json, avro }`) cannot read data written with each of `writers`
 * (`{ label, json, avro }`), one per field and rule, naming the writers it holds for. `dataOf` turns
 * writer labels into the data they wrote (`v1 and v2 data`). avsc has the last word on Avro resolution;
 * when the walk cannot say why avsc refused, avsc's own message is used.
 */
export function readingProblems(reader, writers, dataOf) {
  const grouped = new Map();
  for (const writer of writers) {
    let avroError;
    try {
      reader.avro.createResolver(writer.avro);
    } catch (error) {
      avroError = error.message;
    }
    const problems = readProblems(reader.json, writer.json).filter((problem) => avroError || !problem.isResolution);
    if (avroError && !problems.some((problem) => problem.isResolution)) {
      problems.push({ fallback: `${dataOf([writer.label])} cannot be read: ${avroError}` });
    }
    for (const problem of problems) {
      const key = JSON.stringify(problem);
      grouped.set(key, { problem, labels: [...(grouped.get(key)?.labels ?? []), writer.label] });
    }
  }
  return [...grouped.values()].map(({ problem, labels }) =>
    problem.fallback
      ? problem.fallback
      : `field "${problem.path}" ${problem.what}, so ${dataOf(labels)} ${problem.effect} (rule: ${problem.rule})`,
  );
}
