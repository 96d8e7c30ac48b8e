/**
 * `npm run projections:rebuild [-- --check]`: replays the delivery log into fresh tables, compares them
 * with the live projections at one cut, and swaps them in (`--check`: compare only). Runs beside a
 * live engine. Exit status: 0 identical, 1 different (the rebuilt tables, the log's truth, are in
 * place unless --check), 2 failed.
 */
import { parseArgs } from 'node:util';
import { topicNames } from '@hookstream/contracts';
import { connectAdmin, createKafka, createAvroCodec, kafkaSettingsFrom, kafkaSettingsSchema } from '@hookstream/kafka';
import { createLogger } from '@hookstream/observability';
import { createPool, migrate } from '@hookstream/postgres';
import { ConfigError, parseEnv, runtimeSettingsSchema } from '@hookstream/settings';
import { Presets, SingleBar } from 'cli-progress';
import { z } from 'zod';
import { rebuildProjections, type RebuildReport } from './projector/rebuild';

const settingsSchema = runtimeSettingsSchema
  .pick({ LOG_LEVEL: true })
  .extend(kafkaSettingsSchema.shape)
  .extend({ DATABASE_URL: z.string().default('postgres://hookstream:hookstream@127.0.0.1:5432/hookstream') });

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
  const settings = parseEnv(settingsSchema, { LOG_LEVEL: 'warn', ...process.env });
  const logger = createLogger('projections-rebuild', settings.LOG_LEVEL);
  const kafkaSettings = kafkaSettingsFrom(settings);
  const db = createPool(settings.DATABASE_URL, logger, 4);
  const kafka = createKafka(kafkaSettings, 'hookstream-projections-rebuild', logger);
  const admin = await connectAdmin(kafka, kafkaSettings, logger);
  const bar = new SingleBar(
    {
      format: 'rebuilding |{bar}| {percentage}% {value}/{total} records, {rate}/s, ETA {eta_formatted}',
      stream: process.stderr,
      etaBuffer: 50,
      // Outside a terminal (CI, a pipe) a line every 2 s instead of redrawing one.
      noTTYOutput: true,
      notTTYSchedule: 2000,
    },
    Presets.shades_classic,
  );
  const startedAt = Date.now();
  let applied = 0;
  try {
    await migrate(db, logger);
    const report = await rebuildProjections({
      kafka,
      admin,
      db,
      codec: createAvroCodec(kafkaSettings, logger),
      topic: topicNames(kafkaSettings.topicPrefix).deliveryEvents,
      logger,
      swap: !values.check,
      progress: {
        total: (records) => (applied === 0 ? bar.start(records, 0, { rate: 0 }) : bar.setTotal(records)),
        applied: (records) => {
          applied += records;
          bar.update(applied, { rate: Math.round(applied / Math.max((Date.now() - startedAt) / 1000, 0.001)) });
        },
      },
    });
    bar.stop();
    process.stdout.write(describe(report, Date.now() - startedAt));
    return report.isIdentical ? 0 : 1;
  } finally {
    bar.stop();
    await admin.disconnect().catch(() => undefined);
    await db.end().catch(() => undefined);
  }
}

function describe(report: RebuildReport, elapsedMs: number): string {
  const cut = [...report.cut].map(([partition, offset]) => `${partition}:${offset}`).join(' ');
  const lines = [
    `replayed ${report.records} records in ${(elapsedMs / 1000).toFixed(1)} s up to the cut ${cut}`,
    ...report.tables.flatMap((table) =>
      table.onlyLive === 0 && table.onlyRebuilt === 0
        ? [`  ${table.table}: identical (${table.rows} rows)`]
        : [
            `  ${table.table}: DIFFERENT (${table.rows} live rows; ${table.onlyLive} only live, ${table.onlyRebuilt} only rebuilt)`,
            ...table.samples.map((sample) => `    ${sample}`),
          ],
    ),
    report.isIdentical
      ? 'projections are identical to a replay of the log'
      : 'projections differed from a replay of the log',
    report.swapped ? 'the rebuilt tables are now live' : 'the live tables are unchanged (--check)',
  ];
  return `${lines.join('\n')}\n`;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `projections:rebuild failed: ${error instanceof ConfigError ? error.message : String((error as Error)?.stack ?? error)}\n`,
    );
    process.exit(2);
  },
);
