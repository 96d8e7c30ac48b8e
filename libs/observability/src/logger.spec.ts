import { Writable } from 'node:stream';
import { createLogger } from './logger';

/** A logger writing into an array of parsed lines. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('test', 'debug', destination), lines };
}

describe('createLogger', () => {
  it('redacts authorization headers, secrets and API keys wherever they are logged', () => {
    const { logger, lines } = capturedLogger();
    logger.info(
      {
        deliveryId: 'dlv_1',
        req: { headers: { authorization: 'Bearer sk_test_abc', 'content-type': 'application/json' } },
        endpoint: { id: 'ep_1', secret: 'whsec_abc', secrets: ['whsec_old'] },
        headers: { authorization: 'Bearer sk_live_abc' },
        apiKey: 'sk_live_def',
      },
      'attempt failed',
    );
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/sk_(test|live)_|whsec_/);
    expect(lines[0]).toMatchObject({
      deliveryId: 'dlv_1',
      req: { headers: { authorization: '[Redacted]', 'content-type': 'application/json' } },
      endpoint: { id: 'ep_1', secret: '[Redacted]', secrets: '[Redacted]' },
      headers: { authorization: '[Redacted]' },
      apiKey: '[Redacted]',
    });
  });

  it('keeps ids and the app name on every line', () => {
    const { logger, lines } = capturedLogger();
    logger.debug({ deliveryId: 'dlv_1', eventId: 'evt_1', endpointId: 'ep_1', attempt: 2 }, 'attempt succeeded');
    expect(lines[0]).toMatchObject({
      app: 'test',
      deliveryId: 'dlv_1',
      eventId: 'evt_1',
      endpointId: 'ep_1',
      attempt: 2,
    });
  });
});
