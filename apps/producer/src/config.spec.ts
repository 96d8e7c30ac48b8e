import { ConfigError } from '@hookstream/settings';
import { loadProducerConfig } from './config';

describe('producer configuration', () => {
  it('refuses to start outside local mode without ADMIN_TOKEN', () => {
    expect(() => loadProducerConfig({})).toThrow(ConfigError);
    expect(() => loadProducerConfig({})).toThrow(/ADMIN_TOKEN is required outside local mode/);
  });

  it('defaults the admin token in local mode only', () => {
    expect(loadProducerConfig({ HOOKSTREAM_LOCAL: '1' }).adminToken).toBe('dev-admin-token');
    const token = 'a-long-production-admin-token';
    expect(
      loadProducerConfig({ ADMIN_TOKEN: token, SECRETS_KEY: Buffer.alloc(32, 7).toString('base64') }).adminToken,
    ).toBe(token);
  });

  it('refuses to start outside local mode without SECRETS_KEY, or with a bad one', () => {
    const admin = { ADMIN_TOKEN: 'a-long-production-admin-token' };
    expect(() => loadProducerConfig(admin)).toThrow(/SECRETS_KEY is required outside local mode/);
    expect(() => loadProducerConfig({ ...admin, SECRETS_KEY: 'c2hvcnQ=' })).toThrow(/32 bytes/);
  });

  it('uses the ports and URLs of API.md by default', () => {
    const config = loadProducerConfig({ HOOKSTREAM_LOCAL: '1' });
    expect(config).toMatchObject({
      port: 3000,
      grpcPort: 50051,
      databaseUrl: 'postgres://hookstream:hookstream@127.0.0.1:5432/hookstream',
      kafka: {
        brokers: ['127.0.0.1:9092'],
        registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
        schemaCacheDir: '.stack/schema-cache',
        topicPrefix: 'hookstream',
      },
    });
  });

  it('disables endpoints failing for 5 days, swept every minute, unless configured otherwise', () => {
    expect(loadProducerConfig({ HOOKSTREAM_LOCAL: '1' }).endpointHealth).toEqual({
      disableAfterMs: 5 * 86_400_000,
      disableAfter: '5d',
      sweepIntervalMs: 60_000,
    });
    expect(
      loadProducerConfig({
        HOOKSTREAM_LOCAL: '1',
        ENDPOINT_DISABLE_AFTER: '3s',
        ENDPOINT_HEALTH_SWEEP_INTERVAL: '500ms',
      }).endpointHealth,
    ).toEqual({ disableAfterMs: 3000, disableAfter: '3s', sweepIntervalMs: 500 });
  });

  it('reads deprecations beside the schemas and sweeps for notices every 10 minutes, unless configured otherwise', () => {
    expect(loadProducerConfig({ HOOKSTREAM_LOCAL: '1' }).formatDeprecations).toEqual({
      file: undefined,
      sweepIntervalMs: 600_000,
    });
    expect(
      loadProducerConfig({
        HOOKSTREAM_LOCAL: '1',
        FORMAT_DEPRECATIONS_FILE: '/tmp/deprecations.json',
        FORMAT_DEPRECATION_SWEEP_INTERVAL: '500ms',
      }).formatDeprecations,
    ).toEqual({ file: '/tmp/deprecations.json', sweepIntervalMs: 500 });
  });

  it('limits ingest to 1000 events a second with bursts of twice that, and 30 failed authentications a minute', () => {
    const defaults = loadProducerConfig({ HOOKSTREAM_LOCAL: '1' });
    expect(defaults.ingestRateLimit).toEqual({ perSecond: 1000, burst: 2000 });
    expect(defaults.authFailureThrottle).toEqual({ failuresPerMinute: 30, blockSeconds: 60 });
    const configured = loadProducerConfig({
      HOOKSTREAM_LOCAL: '1',
      INGEST_RATE_LIMIT_PER_SECOND: '5',
      INGEST_RATE_LIMIT_BURST: '',
      AUTH_FAILURES_PER_MINUTE: '3',
      AUTH_FAILURE_BLOCK_SECONDS: '2',
    });
    expect(configured.ingestRateLimit).toEqual({ perSecond: 5, burst: 10 });
    expect(configured.authFailureThrottle).toEqual({ failuresPerMinute: 3, blockSeconds: 2 });
    expect(
      loadProducerConfig({ HOOKSTREAM_LOCAL: '1', INGEST_RATE_LIMIT_PER_SECOND: '5', INGEST_RATE_LIMIT_BURST: '7' })
        .ingestRateLimit,
    ).toEqual({ perSecond: 5, burst: 7 });
  });

  it.each([
    ['INGEST_RATE_LIMIT_PER_SECOND', '0'],
    ['INGEST_RATE_LIMIT_BURST', 'lots'],
    ['AUTH_FAILURES_PER_MINUTE', '-1'],
    ['AUTH_FAILURE_BLOCK_SECONDS', '1.5'],
    ['ENDPOINT_DISABLE_AFTER', 'soon'],
    ['ENDPOINT_DISABLE_AFTER', '500ms'],
    ['ENDPOINT_HEALTH_SWEEP_INTERVAL', '5'],
    ['ENDPOINT_HEALTH_SWEEP_INTERVAL', '2h'],
    ['FORMAT_DEPRECATION_SWEEP_INTERVAL', '10'],
    ['FORMAT_DEPRECATION_SWEEP_INTERVAL', '2d'],
  ])('refuses %s=%s', (variable, value) => {
    expect(() => loadProducerConfig({ HOOKSTREAM_LOCAL: '1', [variable]: value })).toThrow(new RegExp(variable));
  });

  it('names each bad variable', () => {
    expect(() => loadProducerConfig({ HOOKSTREAM_LOCAL: 'maybe' })).toThrow(/HOOKSTREAM_LOCAL/);
    expect(() => loadProducerConfig({ HOOKSTREAM_LOCAL: '1', PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadProducerConfig({ HOOKSTREAM_LOCAL: '1', KAFKA_BROKERS: 'nohostport' })).toThrow(/KAFKA_BROKERS/);
  });
});
