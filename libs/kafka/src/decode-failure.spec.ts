import { decodeOrPoison, isConfluentFramed, permanentDecodeFailure } from './decode-failure';

/** Magic byte, schema id, a short payload. */
function framed(id: number): Buffer {
  const bytes = Buffer.from([0, 0, 0, 0, 0, 2, 0x61]);
  bytes.writeInt32BE(id, 1);
  return bytes;
}
const responseError = (status: number) => Object.assign(new Error(`registry - status ${status}`), { status });

describe('permanentDecodeFailure', () => {
  it('calls garbage bytes permanent, naming the kind', () => {
    expect(permanentDecodeFailure(new Error('x'), Buffer.from('garbage'))?.kind).toBe('garbage-bytes');
    expect(permanentDecodeFailure(new Error('x'), Buffer.from([0, 1]))?.reason).toMatch(/^garbage bytes/);
    expect(permanentDecodeFailure(new Error('not in the Confluent wire format'))?.kind).toBe('garbage-bytes');
    expect(permanentDecodeFailure(new Error('Message encoded with magic byte {}, expected {}'))?.kind).toBe(
      'garbage-bytes',
    );
    expect(permanentDecodeFailure(new Error('truncated buffer'), framed(7))?.kind).toBe('garbage-bytes');
    expect(permanentDecodeFailure(new RangeError('out of range'), framed(7))?.kind).toBe('garbage-bytes');
  });

  it('calls a schema id the registry answers 404 for permanent, naming the id', () => {
    const failure = permanentDecodeFailure(responseError(404), framed(999_999_999));
    expect(failure).toEqual({
      kind: 'unknown-schema',
      reason: 'unknown schema id 999999999: the schema registry does not know it',
    });
  });

  it('retries a registry that is down or failing, and errors it does not recognise', () => {
    expect(permanentDecodeFailure(responseError(500), framed(7))).toBeUndefined();
    expect(permanentDecodeFailure(responseError(503), framed(7))).toBeUndefined();
    // The HTTP client reports a refused connection with a status too; its message may say "invalid".
    expect(permanentDecodeFailure(responseError(400), framed(7))).toBeUndefined();
    expect(permanentDecodeFailure(Object.assign(new Error('invalid'), { status: 401 }), framed(7))).toBeUndefined();
    expect(permanentDecodeFailure(new Error('connect ECONNREFUSED 127.0.0.1:8081'), framed(7))).toBeUndefined();
    expect(permanentDecodeFailure(new Error('Timeout (10000ms)'), framed(7))).toBeUndefined();
    expect(permanentDecodeFailure(undefined, framed(7))).toBeUndefined();
  });
});

describe('decodeOrPoison', () => {
  it('decodes, calls unframed bytes garbage without decoding, and throws what must be retried', async () => {
    expect(isConfluentFramed(framed(1))).toBe(true);
    await expect(decodeOrPoison(framed(1), async () => 'ok')).resolves.toEqual({ value: 'ok' });
    const decode = jest.fn();
    await expect(decodeOrPoison(Buffer.from('{"json":true}'), decode)).resolves.toMatchObject({
      failure: { kind: 'garbage-bytes' },
    });
    await expect(decodeOrPoison(null, decode)).resolves.toMatchObject({ failure: { kind: 'garbage-bytes' } });
    expect(decode).not.toHaveBeenCalled();
    await expect(decodeOrPoison(framed(42), () => Promise.reject(responseError(404)))).resolves.toMatchObject({
      failure: { kind: 'unknown-schema', reason: expect.stringContaining('42') },
    });
    await expect(decodeOrPoison(framed(42), () => Promise.reject(responseError(503)))).rejects.toThrow('503');
  });
});
