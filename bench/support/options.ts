/** A numeric option of a benchmark: `--duration-s 10` on the command line, or `BENCH_DURATION_S=10`. */
export interface OptionSpec {
  readonly default: number;
  readonly min?: number;
  readonly isInteger?: boolean;
  readonly help: string;
}

type Parsed<T extends Record<string, OptionSpec>> = { readonly [K in keyof T]: number };

/** `durationS` → `duration-s`, `targetP99Ms` → `target-p99-ms`. */
const flagOf = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const envOf = (name: string) => `BENCH_${flagOf(name).replaceAll('-', '_').toUpperCase()}`;

/**
 * Reads a benchmark's options from its arguments, then the environment, then the defaults. scripts/bench.mjs
 * hands every option to every benchmark, so one that belongs to another benchmark is only noted, not refused.
 */
export function benchOptions<T extends Record<string, OptionSpec>>(
  bench: string,
  specs: T,
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): Parsed<T> {
  const given = new Map<string, string>();
  for (let index = 0; index < argv.length; index++) {
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(argv[index] ?? '');
    if (!match?.[1])
      throw new Error(`${bench}: unexpected argument "${argv[index]}" (options look like --duration-s 10)`);
    const value = match[2] ?? argv[++index];
    if (value === undefined) throw new Error(`${bench}: --${match[1]} needs a value`);
    given.set(match[1], value);
  }
  const known = new Set(Object.keys(specs).map(flagOf));
  for (const flag of given.keys()) {
    if (!known.has(flag)) console.log(`${bench}: --${flag} is not one of its options; ignored`);
  }
  const parsed: Record<string, number> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = given.get(flagOf(name)) ?? env[envOf(name)];
    const value = raw === undefined || raw === '' ? spec.default : Number(raw.replaceAll('_', ''));
    const isValid = Number.isFinite(value) && value >= (spec.min ?? 0) && (!spec.isInteger || Number.isInteger(value));
    if (!isValid) {
      throw new Error(
        `${bench}: --${flagOf(name)} (${envOf(name)}) must be ${spec.isInteger ? 'an integer' : 'a number'} ` +
          `of at least ${spec.min ?? 0}, got "${raw}" (${spec.help})`,
      );
    }
    parsed[name] = value;
  }
  return parsed as Parsed<T>;
}
