#!/usr/bin/env node
// `npm run schemas:check`: the compatibility gate of schemas/. Every format version of an event type
// reads data written with each earlier one (BACKWARD_TRANSITIVE, like the registry's subjects); a
// version published in git HEAD never changes; each of the engine's own records reads what its
// committed version wrote; and the schema registry, when reachable, agrees. Exits 1 with one line
// per broken rule, naming the file, the field and the rule.
import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { committedSchemas } from './schemas-check/git-baseline.mjs';
import { checkCompatibility, listSubjects, RegistryUnreachable, registeredVersion } from './schemas-check/registry.mjs';
import { listOf, readingProblems } from './schemas-check/resolution.mjs';
import { describeChange, sameSchema } from './schemas-check/schema-diff.mjs';
import { EVENT_TYPE_FOLDER, parseSchema, readSchemasDir, VERSION_FILE } from './schemas-check/schema-files.mjs';
import { defaults, repoRoot } from './stack/config.mjs';

const USAGE = 'usage: node scripts/schemas-check.mjs [--dir <schemas dir>] [--offline | --require-registry]';
// The apps' own rule for KAFKA_TOPIC_PREFIX (libs/kafka/src/kafka-settings.ts).
const TOPIC_PREFIX = /^[a-zA-Z0-9._-]+$/;

class UsageError extends Error {}

function parseOptions(args, env) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        dir: { type: 'string' },
        offline: { type: 'boolean', default: false },
        'require-registry': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (values.offline && values['require-registry']) {
    throw new UsageError('--offline and --require-registry exclude each other');
  }
  const topicPrefix = env.KAFKA_TOPIC_PREFIX ?? 'hookstream';
  if (!TOPIC_PREFIX.test(topicPrefix)) throw new UsageError(`KAFKA_TOPIC_PREFIX "${topicPrefix}" is not a topic name`);
  const registryUrl = env.SCHEMA_REGISTRY_URL ?? `http://127.0.0.1:${defaults.registry.port}/apis/ccompat/v7`;
  return {
    dir: resolve(values.dir ?? join(repoRoot, 'schemas')),
    isOffline: values.offline,
    isRegistryRequired: values['require-registry'],
    isHelp: values.help,
    registryUrl: registryUrl.replace(/\/$/, ''),
    topicPrefix,
  };
}

/** What the run found per file, in the order checked: its problems, or what it passed. */
class Report {
  #files = new Map();
  #runProblems = [];
  #notes = [];

  #entry(path) {
    if (!this.#files.has(path)) this.#files.set(path, { problems: [], passed: [] });
    return this.#files.get(path);
  }

  add(path) {
    this.#entry(path);
  }

  fail(path, message) {
    this.#entry(path).problems.push(message);
  }

  pass(path, what) {
    this.#entry(path).passed.push(what);
  }

  /** A problem of the run rather than of a file (the registry required but not reachable). */
  failRun(message) {
    this.#runProblems.push(message);
  }

  note(message) {
    this.#notes.push(message);
  }

  /** Prints failures first, then the files that passed, notes and a summary; returns the exit code. */
  print(display) {
    const entries = [...this.#files];
    const failing = entries.filter(([, entry]) => entry.problems.length > 0);
    for (const problem of this.#runProblems) console.log(`FAIL ${problem}`);
    for (const [path, { problems }] of failing) {
      for (const problem of problems) console.log(`FAIL ${display(path)}: ${problem}`);
    }
    for (const [path, { problems, passed }] of entries) {
      if (problems.length === 0) console.log(`ok   ${display(path)}${passed.length ? ` (${passed.join('; ')})` : ''}`);
    }
    for (const note of this.#notes) console.log(`note: ${note}`);
    const count = failing.reduce((sum, [, entry]) => sum + entry.problems.length, this.#runProblems.length);
    if (count === 0) {
      console.log(`schemas:check: all ${entries.length} schemas ok`);
      return 0;
    }
    console.log(
      `schemas:check: failed, ${count} problem${count > 1 ? 's' : ''} (listed first); ${failing.length} of ${entries.length} schemas failing`,
    );
    return 1;
  }
}

/** Versions v1…vN without gaps, one record name throughout, and each reading every earlier one. */
function checkEventType(type, versions, report) {
  for (const file of versions) {
    if (file.error) report.fail(file.path, file.error);
    else report.pass(file.path, 'valid Avro');
  }
  const gap = versions.findIndex((file, index) => file.version !== index + 1);
  if (gap >= 0) {
    report.fail(
      versions[gap].path,
      `v${gap + 1}.avsc of ${type} is missing (rule: format versions run v1, v2, v3… without gaps)`,
    );
  }
  const parsed = versions.filter((file) => file.avro);
  const [first] = parsed;
  for (const [index, reader] of parsed.entries()) {
    if (index === 0) continue;
    if (reader.fullName !== first.fullName) {
      // Not read against the others: a different record is a different subject altogether.
      report.fail(
        reader.path,
        `record ${reader.fullName} differs from ${first.fullName} of v${first.version} (rule: every version of a type keeps its record name and namespace, which make its registry subject)`,
      );
      continue;
    }
    const writers = parsed.slice(0, index).map((writer) => ({ label: `v${writer.version}`, ...writer }));
    const problems = readingProblems(reader, writers, (labels) => `${listOf(labels)} data`);
    for (const problem of problems) report.fail(reader.path, problem);
    if (problems.length === 0) report.pass(reader.path, `reads ${listOf(writers.map((writer) => writer.label))} data`);
  }
}

function parsedOrText(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A format version in HEAD is published: it may be reformatted, never changed or deleted. */
function checkPublished(dir, eventTypes, committed, report) {
  for (const [type, { versions }] of eventTypes) {
    const next = (versions.at(-1)?.version ?? 0) + 1;
    for (const file of versions) {
      const path = `${type}/${basename(file.path)}`;
      if (!committed.files.has(path)) {
        report.pass(file.path, 'new since HEAD');
        continue;
      }
      if (file.error) continue;
      const before = parsedOrText(committed.read(path));
      if (sameSchema(before, file.json)) {
        report.pass(file.path, 'as published in HEAD');
      } else {
        report.fail(
          file.path,
          `published version changed since HEAD (${describeChange(before, file.json)}) (rule: a published format version never changes; add v${next}.avsc instead)`,
        );
      }
    }
  }
  for (const path of committed.files) {
    const [folder, name, ...deeper] = path.split('/');
    if (deeper.length > 0 || !EVENT_TYPE_FOLDER.test(folder) || !VERSION_FILE.test(name ?? '')) continue;
    if (existsSync(join(dir, path))) continue;
    report.fail(
      join(dir, path),
      'published version deleted since HEAD (rule: a published format version stays: events were written in it; restore it)',
    );
  }
}

/** The engine's records evolve in place: each must read what its committed version wrote. */
function checkInternal(internal, committed, report) {
  for (const file of internal) {
    const path = `internal/${basename(file.path)}`;
    if (file.error) continue;
    if (!committed.files.has(path)) {
      report.pass(file.path, 'new since HEAD');
      continue;
    }
    const before = parseSchema(committed.read(path));
    if (before.error) {
      report.note(`${path} in HEAD is ${before.error}: the working copy is not compared with it`);
    } else if (before.fullName !== file.fullName) {
      report.fail(
        file.path,
        `record ${file.fullName} was ${before.fullName} in HEAD (rule: a record keeps its name and namespace: they make its registry subject, and consumers tell records apart by them)`,
      );
    } else if (sameSchema(before.json, file.json)) {
      report.pass(file.path, 'as committed in HEAD');
    } else {
      const problems = readingProblems(
        file,
        [{ label: 'HEAD', ...before }],
        () => "records written with HEAD's version",
      );
      for (const problem of problems) report.fail(file.path, problem);
      if (problems.length === 0) report.pass(file.path, "reads records written with HEAD's version");
    }
  }
}

/** The registry's verdict on each type's newest version and on each engine record, under their subjects. */
async function checkRegistry(options, eventTypes, internal, report) {
  let subjects;
  try {
    subjects = await listSubjects(options.registryUrl);
  } catch (error) {
    if (!(error instanceof RegistryUnreachable)) throw error;
    const unreachable = `the registry at ${options.registryUrl} is not reachable (${error.message})`;
    if (options.isRegistryRequired) report.failRun(`${unreachable}, and --require-registry was given`);
    else report.note(`${unreachable}: registry check skipped (--require-registry makes this a failure)`);
    return;
  }
  const checks = [];
  for (const { versions } of eventTypes.values()) {
    // Older versions are registered already, each checked when it was the newest.
    const newest = versions.at(-1);
    if (newest?.avro) checks.push({ file: newest, subjects: [`${options.topicPrefix}.events-${newest.fullName}`] });
  }
  for (const file of internal.filter((record) => record.avro)) {
    // TopicRecordNameStrategy: `<topic>-<record full name>`, on every topic the record goes to.
    const own = [...subjects].filter(
      (subject) => subject.startsWith(`${options.topicPrefix}.`) && subject.endsWith(`-${file.fullName}`),
    );
    checks.push({ file, subjects: own.length > 0 ? own : [`${options.topicPrefix}.<topic>-${file.fullName}`] });
  }
  for (const { file, subjects: candidates } of checks) {
    // Per outcome, the topics (subjects minus the record name) it holds for: one line per file.
    const passed = { 'new subject': [], 'already registered': [], 'compatible with its latest version': [] };
    for (const subject of candidates) {
      const outcome = await registryVerdict(options.registryUrl, subjects, subject, file.json);
      if (outcome.problem) report.fail(file.path, outcome.problem);
      else passed[outcome.passed].push(subject.slice(0, -`-${file.fullName}`.length));
    }
    for (const [outcome, topics] of Object.entries(passed)) {
      if (topics.length === 1) report.pass(file.path, `registry: ${outcome} (${topics[0]}-${file.fullName})`);
      if (topics.length > 1) report.pass(file.path, `registry: ${outcome} (${file.fullName} on ${listOf(topics)})`);
    }
  }
}

async function registryVerdict(registryUrl, subjects, subject, schema) {
  if (!subjects.has(subject)) return { passed: 'new subject' };
  try {
    if ((await registeredVersion(registryUrl, subject, schema)) !== undefined) return { passed: 'already registered' };
    const { isCompatible, messages, level } = await checkCompatibility(registryUrl, subject, schema);
    if (isCompatible) return { passed: 'compatible with its latest version' };
    const details = messages.length > 0 ? `: ${messages.join('; ')}` : '';
    return {
      problem: `the registry refuses it: not compatible with the latest version of ${subject}${details} (rule: the subject's compatibility, ${level ?? 'unknown'})`,
    };
  } catch (error) {
    return { problem: `registry: ${error.message}` };
  }
}

async function main() {
  const options = parseOptions(process.argv.slice(2), process.env);
  if (options.isHelp) {
    console.log(USAGE);
    return 0;
  }
  const report = new Report();
  let schemas;
  try {
    schemas = readSchemasDir(options.dir);
  } catch (error) {
    throw new UsageError(error.message);
  }
  const { eventTypes, internal, layoutProblems } = schemas;
  for (const { versions } of eventTypes.values()) for (const file of versions) report.add(file.path);
  for (const file of internal) report.add(file.path);
  for (const { path, message } of layoutProblems) report.fail(path, message);

  for (const [type, { path, versions }] of eventTypes) {
    if (versions.length === 0) report.fail(path, `${type} has no format version (rule: a type starts at v1.avsc)`);
    else checkEventType(type, versions, report);
  }
  for (const file of internal) {
    if (file.error) report.fail(file.path, file.error);
    else report.pass(file.path, 'valid Avro');
  }

  const committed = committedSchemas(options.dir);
  if (committed.unavailable) {
    report.note(`git: ${committed.unavailable}: published versions and engine records not compared with HEAD`);
  } else {
    checkPublished(options.dir, eventTypes, committed, report);
    checkInternal(internal, committed, report);
  }

  if (options.isOffline) report.note('registry: not asked (--offline)');
  else await checkRegistry(options, eventTypes, internal, report);

  // Paths as the reader can open them: relative to where the command runs, when below it.
  const display = (path) => {
    const fromHere = isAbsolute(path) ? relative(process.cwd(), path) : path;
    return fromHere.startsWith('..') || isAbsolute(fromHere) ? path : fromHere;
  };
  return report.print(display);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    if (!(error instanceof UsageError)) throw error;
    console.error(`schemas:check: ${error.message}\n${USAGE}`);
    process.exitCode = 2;
  },
);
