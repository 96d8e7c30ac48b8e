#!/usr/bin/env node
// `npm run bench [-- --quick] [-- <name>… --option value…]`: install what is missing, bring the stack up if it is
// not, build, run each benchmark (bench/<name>.ts, built to dist/bench/<name>.js) as its own process in turn,
// print a table of their results, keep them in .stack/bench/latest.json, then stop only what this run started.
// Without names it runs `engine`, the end-to-end benchmark; the others are focused ones, run by name.
// `--quick` shortens `engine` (BENCH_QUICK=1). Options go to every benchmark (each takes its own and notes the
// others); BENCH_<OPTION> env vars work too.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { build, ensureNodeModules, stackDown, stackUp } from './setup.mjs';
import { loadConfig, repoRoot } from './stack/config.mjs';
import { runningPid } from './stack/processes.mjs';

const HEADLINE_BENCHMARK = 'engine';

const available = readdirSync(join(repoRoot, 'bench'))
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .sort();

const isQuick = process.argv.includes('--quick');
const { names, passThrough } = parseArgs(process.argv.slice(2).filter((arg) => arg !== '--quick'));
const unknown = names.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`no such benchmark: ${unknown.join(', ')} (there are: ${available.join(', ')})`);
  process.exit(2);
}
const selected = names.length > 0 ? names : [HEADLINE_BENCHMARK];

// The engine's own apps would compete for the same two cores and skew every figure.
for (const app of ['producer', 'dispatcher', 'retry-scheduler']) {
  const pid = runningPid(join(loadConfig(process.env).runDir, `${app}.pid`));
  if (pid !== undefined) {
    console.error(`hookstream is running (${app}, pid ${pid}, from npm start): stop it first, then benchmark.`);
    process.exit(2);
  }
}

/** Benchmark names, and the options after them, kept as given (`--rows 200000` or `--rows=200000`). */
function parseArgs(args) {
  const parsed = { names: [], passThrough: [] };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (!arg.startsWith('--')) {
      parsed.names.push(arg);
    } else if (arg.includes('=') || index + 1 >= args.length) {
      parsed.passThrough.push(arg);
    } else {
      parsed.passThrough.push(arg, args[++index]);
    }
  }
  return parsed;
}

const env = { ...process.env, HOOKSTREAM_LOCAL: '1', ...(isQuick ? { BENCH_QUICK: '1' } : {}) };
const loadAverageAtStart = loadavg();
let running;
let isInterrupted = false;
// Ctrl-C reaches the running benchmark too (same process group); it cleans up and exits, then so do we.
const interrupt = (signal) => {
  isInterrupted = true;
  running?.kill(signal);
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

/** Runs one benchmark, echoing its output, and answers the result of its final JSON line. */
function runBenchmark(name) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', join(repoRoot, `dist/bench/${name}.js`), ...passThrough],
      {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    running = child;
    let result;
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const lines = (pending + chunk).split('\n');
      pending = lines.pop();
      for (const line of lines) result = parseResult(line, name) ?? result;
    });
    child.once('close', (code, signal) => {
      running = undefined;
      result = parseResult(pending, name) ?? result;
      if (!result) {
        result = {
          bench: name,
          metrics: {},
          targets: {},
          passed: false,
          error: `exited (${signal ?? `code ${code}`}) without a result`,
        };
      } else if (code !== 0 && result.passed) {
        result = { ...result, passed: false, error: `exited with code ${code}` };
      }
      resolve(result);
    });
  });
}

function parseResult(line, name) {
  if (!line.startsWith('{"bench":')) return undefined;
  try {
    const parsed = JSON.parse(line);
    return parsed.bench === name ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isMet(value, target) {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if ('below' in target) return value < target.below;
  if ('atMost' in target) return value <= target.atMost;
  return value >= target.atLeast;
}

function describeTarget(target) {
  if ('below' in target) return `< ${target.below}`;
  if ('atMost' in target) return `≤ ${target.atMost}`;
  return `≥ ${target.atLeast}`;
}

function printTable(results) {
  const rows = [['benchmark', 'metric', 'value', 'target', 'result']];
  for (const result of results) {
    const targets = Object.entries(result.targets);
    if (targets.length === 0) rows.push([result.bench, 'error', result.error ?? 'no result', '', 'FAIL']);
    for (const [metric, target] of targets) {
      const value = result.metrics[metric];
      rows.push([
        result.bench,
        metric,
        String(value ?? '–'),
        describeTarget(target),
        isMet(value, target) ? 'ok' : 'MISSED',
      ]);
    }
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  console.log('');
  for (const [index, row] of rows.entries()) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
    if (index === 0) console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  }
  console.log('');
  for (const result of results) console.log(`${result.bench}: ${result.passed ? 'passed' : 'FAILED'}`);
}

ensureNodeModules();
const startedServices = stackUp(env);
const startedAt = new Date();
const results = [];
try {
  build();
  for (const name of selected) {
    if (isInterrupted) break;
    console.log(`\n=== ${name} ===`);
    results.push(await runBenchmark(name));
  }
} finally {
  // Never stop a stack this run did not start: a developer's running stack survives.
  stackDown(startedServices, env);
}

if (results.length > 0) printTable(results);
// An interrupted run is not a result to keep.
if (results.length > 0 && !isInterrupted) {
  const file = join(loadConfig(env).stackDir, 'bench/latest.json');
  mkdirSync(join(file, '..'), { recursive: true });
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    options: isQuick ? ['--quick', ...passThrough] : passThrough,
    // Other work on the machine moves latencies: the load averages say how busy it was.
    machine: {
      cpus: cpus().length,
      loadAverageAtStart: loadAverageAtStart.map((load) => Math.round(load * 100) / 100),
      loadAverageAtEnd: loadavg().map((load) => Math.round(load * 100) / 100),
    },
    results,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`results: ${file}`);
}
const isAllPassed = results.length === selected.length && results.every((result) => result.passed);
process.exit(isInterrupted ? 130 : isAllPassed ? 0 : 1);
