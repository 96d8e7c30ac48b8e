import { topicCatalogue } from '@hookstream/contracts';
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaSettings } from './kafka-settings';
import { ensureTopics } from './topic-admin';

/** Connects an admin client and makes sure every topic of the catalogue exists; every app does this at start. */
export async function connectAdmin(kafka: Kafka, settings: KafkaSettings, logger: Logger): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  const report = await ensureTopics(admin, topicCatalogue(settings.topicPrefix, settings.topicPartitions));
  if (report.created.length > 0) logger.info({ topics: report.created }, 'created topics');
  return admin;
}
