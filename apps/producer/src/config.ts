import {
  envFlag,
  envPort,
  fromSetting,
  hookstreamVersion,
  parseEnv,
  runtimeSettingsSchema,
} from '@hookstream/settings';
import { kafkaSettingsFrom, kafkaSettingsSchema, type KafkaSettings } from '@hookstream/kafka';
import { loadMasterKey, type MasterKey } from '@hookstream/secrets';
import { z } from 'zod';

const LOCAL_ADMIN_TOKEN = 'dev-admin-token';

const schema = runtimeSettingsSchema
  .extend(kafkaSettingsSchema.shape)
  .extend({
    PORT: envPort(3000),
    GRPC_PORT: envPort(50051),
    DATABASE_URL: z.string().default('postgres://hookstream:hookstream@127.0.0.1:5432/hookstream'),
    /** Test hook, honoured in local mode only: die between a fan-out batch's send and its commit. */
    HOOKSTREAM_TEST_CRASH_FAN_OUT: envFlag,
    /** Test hook, honoured in local mode only: die inside a projector transaction, before it commits. */
    HOOKSTREAM_TEST_CRASH_PROJECTOR: envFlag,
    ADMIN_TOKEN: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
    ),
  })
  .refine((env) => env.HOOKSTREAM_LOCAL || env.ADMIN_TOKEN !== undefined, {
    path: ['ADMIN_TOKEN'],
    message: 'ADMIN_TOKEN is required outside local mode (HOOKSTREAM_LOCAL=1)',
  });

export interface ProducerConfig {
  readonly isLocal: boolean;
  readonly logLevel: string;
  readonly host: string;
  readonly port: number;
  readonly grpcPort: number;
  readonly databaseUrl: string;
  readonly adminToken: string;
  readonly kafka: KafkaSettings;
  readonly masterKey: MasterKey;
  readonly version: string;
  readonly testHooks: { readonly crashFanOutBeforeCommit: boolean; readonly crashProjectorBeforeCommit: boolean };
}

export function loadProducerConfig(env: NodeJS.ProcessEnv): ProducerConfig {
  const parsed = parseEnv(schema, env);
  return Object.freeze({
    isLocal: parsed.HOOKSTREAM_LOCAL,
    logLevel: parsed.LOG_LEVEL,
    host: parsed.HOST,
    port: parsed.PORT,
    grpcPort: parsed.GRPC_PORT,
    databaseUrl: parsed.DATABASE_URL,
    adminToken: parsed.ADMIN_TOKEN ?? LOCAL_ADMIN_TOKEN,
    kafka: kafkaSettingsFrom(parsed),
    masterKey: fromSetting('SECRETS_KEY', () =>
      loadMasterKey({
        secretsKey: parsed.SECRETS_KEY,
        secretsKeyFile: parsed.SECRETS_KEY_FILE,
        isLocal: parsed.HOOKSTREAM_LOCAL,
      }),
    ),
    version: hookstreamVersion(),
    testHooks: {
      crashFanOutBeforeCommit: parsed.HOOKSTREAM_LOCAL && parsed.HOOKSTREAM_TEST_CRASH_FAN_OUT,
      crashProjectorBeforeCommit: parsed.HOOKSTREAM_LOCAL && parsed.HOOKSTREAM_TEST_CRASH_PROJECTOR,
    },
  });
}
