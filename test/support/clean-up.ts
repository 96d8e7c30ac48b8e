import { topicCatalogue } from '@hookstream/contracts';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { stackEnv } from './stack';

/** Every consumer group the apps create under a topic prefix. */
const GROUPS = ['fan-out', 'dispatcher', 'endpoint-status', 'projector'];

/**
 * Removes what a test made under its topic prefix: topics, consumer groups, projection offsets, and
 * the rows of the tenants it created, so the suite can run again on the same stack.
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
  const pg = new Client({ connectionString: stackEnv.databaseUrl });
  await pg.connect();
  try {
    await pg.query('DELETE FROM projection_offsets WHERE topic LIKE $1', [`${prefix}.%`]);
    if (tenantIds.length === 0) return;
    for (const table of ['attempts']) {
      await pg.query(
        `DELETE FROM ${table} WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ANY($1))`,
        [tenantIds],
      );
    }
    for (const table of ['deliveries', 'events', 'idempotency_keys']) {
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
