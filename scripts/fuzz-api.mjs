#!/usr/bin/env node
// `npm run test:fuzz`: fuzzes the producer's REST API from its own OpenAPI spec (`/docs-json`) with
// schemathesis. Every generated request must answer something other than a 5xx, and every response whose
// status the spec documents (every /v1 error: `{ error: { code, message, details } }`) must match its
// schema. Schemathesis lives in a venv of its own under .stack/, installed (pinned) when missing.
// Exits with schemathesis's status: 0 when it found nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { aptInstall } from './stack/binaries.mjs';
import { repoRoot } from './stack/config.mjs';

const SCHEMATHESIS_VERSION = '4.32.5';
const VENV = join(repoRoot, '.stack/venv-schemathesis');
const ST = join(VENV, 'bin/st');
const USAGE = `usage: node scripts/fuzz-api.mjs [--base-url <producer URL>] [--key <API key>] [--max-time <s>] [--max-examples <n>] [-- <more st run options>]
  --base-url      default $HOOKSTREAM_API_URL or http://127.0.0.1:3000 (npm start's producer)
  --key           default $HOOKSTREAM_API_KEY or the sandbox key of .stack/local-tenant.json
  --max-time      the whole run's time budget in seconds (default 120)
  --max-examples  test cases per operation and phase (default 50)`;

function fail(message) {
  console.error(`fuzz-api: ${message}`);
  process.exit(2);
}

function parseOptions(args, env) {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        'base-url': { type: 'string', default: env.HOOKSTREAM_API_URL ?? 'http://127.0.0.1:3000' },
        key: { type: 'string', default: env.HOOKSTREAM_API_KEY },
        'max-time': { type: 'string', default: '120' },
        'max-examples': { type: 'string', default: '50' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    fail(`${error.message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const name of ['max-time', 'max-examples']) {
    if (!/^[1-9]\d*$/.test(values[name])) fail(`--${name} must be a positive whole number, not "${values[name]}"`);
  }
  return {
    baseUrl: values['base-url'].replace(/\/$/, ''),
    key: values.key ?? localTenantKey(),
    maxTime: values['max-time'],
    maxExamples: values['max-examples'],
    extra: positionals,
  };
}

/** The sandbox key `npm start` keeps for its local tenant. */
function localTenantKey() {
  const file = join(repoRoot, '.stack/local-tenant.json');
  if (!existsSync(file)) fail(`no --key and no ${file}: run \`npm start\` first, or pass a sandbox API key`);
  return JSON.parse(readFileSync(file, 'utf8')).keys.sandbox;
}

const run = (command, args) => spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });

/** The venv with the pinned schemathesis; `python3 -m venv` needs Debian's python3-venv, installed when missing. */
function ensureSchemathesis() {
  const installed = spawnSync(ST, ['--version'], { encoding: 'utf8' });
  if (installed.status === 0 && installed.stdout.includes(SCHEMATHESIS_VERSION)) return;
  if (!existsSync(join(VENV, 'bin/pip'))) {
    if (spawnSync('python3', ['--version']).status !== 0) {
      aptInstall(['python3', 'python3-venv'], 'python3 is required to run schemathesis');
    }
    if (run('python3', ['-m', 'venv', '--clear', VENV]).status !== 0) {
      aptInstall(['python3-venv'], 'python3 -m venv failed: Debian keeps venv in python3-venv');
      if (run('python3', ['-m', 'venv', '--clear', VENV]).status !== 0) fail(`python3 -m venv ${VENV} failed`);
    }
  }
  console.log(`installing schemathesis ${SCHEMATHESIS_VERSION} into ${VENV}…`);
  const pip = run(join(VENV, 'bin/pip'), [
    'install',
    '--quiet',
    '--disable-pip-version-check',
    `schemathesis==${SCHEMATHESIS_VERSION}`,
  ]);
  if (pip.status !== 0) fail(`pip could not install schemathesis==${SCHEMATHESIS_VERSION}; see the output above`);
}

function main() {
  const options = parseOptions(process.argv.slice(2), process.env);
  try {
    ensureSchemathesis();
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  // Schemathesis keeps what it found (.hypothesis/) in its working directory: under .stack/, not the repo.
  const workDir = join(repoRoot, '.stack/fuzz-api');
  mkdirSync(workDir, { recursive: true });
  const args = [
    'run',
    `${options.baseUrl}/docs-json`,
    '--url',
    options.baseUrl,
    '--header',
    `Authorization: Bearer ${options.key}`,
    // No 5xx, ever; and each documented response (every /v1 error included) matches its schema.
    '--checks',
    'not_a_server_error,response_schema_conformance',
    '--max-examples',
    options.maxExamples,
    '--max-time',
    options.maxTime,
    '--wait-for-schema',
    '30',
    '--request-timeout',
    '10',
    '--no-color',
    ...options.extra,
  ];
  console.log(`fuzzing ${options.baseUrl} (schemathesis ${SCHEMATHESIS_VERSION}, up to ${options.maxTime} s)…`);
  const st = spawnSync(ST, args, { cwd: workDir, stdio: 'inherit' });
  if (st.error) fail(`could not run ${ST}: ${st.error.message}`);
  process.exit(st.status ?? 1);
}

main();
