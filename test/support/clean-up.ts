import { topicCatalogue } from '@hookstream/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { stackEnv } from './stack';

/** Every consumer group the apps create under a topic prefix. */
const GROUPS = ['fan-out', 'dispatcher', 'endpoint-status', 'projector', 'retry-scheduler', 'sequencer'];

/**
 * Removes what a test made under its topic prefix: topics, consumer groups, registry subjects,
 * projection offsets, and the rows of the tenants it created, so the suite can run again on the same stack.
 */
export async function cleanUp(prefix: string, tenantIds: readonly string[] = []): Promise<void> {
  const admin = new Kafka({
    clientId: `${prefix}-clean-up`,
    brokers: stackEnv.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: topicCatalogue(prefix).map((spec) => spec.name) }).catch(() => undefined);
    await admin.deleteGroups(GROUPS.map((group) => `${prefix}-${group}`)).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  await deleteSubjects(prefix);
  const pg = new Client({ connectionString: stackEnv.databaseUrl });
  await pg.connect();
  try {
    await pg.query('DELETE FROM projection_offsets WHERE topic LIKE $1', [`${prefix}.%`]);
    if (tenantIds.length === 0) return;
    await pg.query('DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ANY($1))', [
      tenantIds,
    ]);
    for (const table of [
      'endpoint_health',
      'endpoint_attempts_hourly',
      'format_deprecation_notices',
      'ordering_keys',
      'ordering_numbered',
      'ordering_waiting',
    ])
      await pg.query(`DELETE FROM ${table} WHERE endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = ANY($1))`, [
        tenantIds,
      ]);
    for (const table of ['deliveries', 'events', 'idempotency_keys', 'event_type_versions', 'replay_jobs']) {
      await pg.query(`DELETE FROM ${table} WHERE tenant_id = ANY($1)`, [tenantIds]);
    }
    await pg.query('DELETE FROM outbox WHERE endpoint_id IN (SELECT id FROM endpoints WHERE tenant_id = ANY($1))', [
      tenantIds,
    ]);
    for (const table of ['endpoints', 'api_keys'])
      await pg.query(`DELETE FROM ${table} WHERE tenant_id = ANY($1)`, [tenantIds]);
    await pg.query('DELETE FROM tenants WHERE id = ANY($1)', [tenantIds]);
  } finally {
    await pg.end();
  }
}

/** The registry subjects of the prefix's topics (TopicRecordNameStrategy: `<topic>-<record>`), deleted for good. */
async function deleteSubjects(prefix: string): Promise<void> {
  const subjects = new Set<string>();
  // The registry pages its answer (1 000 a page here); a registry that ignores offset repeats itself.
  for (let offset = 0; ; offset += 1000) {
    const response = await fetch(`${stackEnv.registryUrl}/subjects?offset=${offset}&limit=1000`);
    if (!response.ok) break;
    const page = (await response.json()) as string[];
    const before = subjects.size;
    for (const subject of page) subjects.add(subject);
    if (page.length < 1000 || subjects.size === before) break;
  }
  for (const subject of [...subjects].filter((name) => name.startsWith(`${prefix}.`))) {
    for (const query of ['', '?permanent=true']) {
      await fetch(`${stackEnv.registryUrl}/subjects/${encodeURIComponent(subject)}${query}`, { method: 'DELETE' });
    }
  }
}
