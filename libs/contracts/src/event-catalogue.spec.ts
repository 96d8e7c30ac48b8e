import { Type } from 'avsc';
import { EventCatalogue } from './event-catalogue';
import { loadSchemaFiles } from './schemas';

const catalogue = new EventCatalogue(loadSchemaFiles());
const payin = {
  transactionId: 'txn_1',
  status: 'succeeded',
  amount: 1050,
  currency: 'EUR',
  responseCode: '00',
  responseMessage: 'Approved',
  occurredAt: '2026-11-28T12:00:00.000Z',
};

describe('event catalogue', () => {
  it('holds the six types of the contract, balance.threshold_reached opt-in only, and the system notice', () => {
    expect(catalogue.types().map((t) => [t.type, t.optIn])).toEqual([
      ['api.request_failed', false],
      ['balance.threshold_reached', true],
      // Sent by hookstream itself to the endpoints it concerns; never matched by "*".
      ['hookstream.format_deprecated', true],
      ['payin.failed', false],
      ['payin.succeeded', false],
      ['payout.updated', false],
      ['refund.updated', false],
    ]);
  });

  it('maps JSON data to Avro (ISO 8601 → timestamp-millis) and back', () => {
    const parsed = catalogue.parseData('payin.succeeded', 1, payin);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.value['occurredAt']).toBe(Date.UTC(2026, 10, 28, 12));
    const envelope = Type.forSchema(catalogue.schemaOf('payin.succeeded', 1) as never);
    const event = {
      eventId: 'evt_1',
      tenantId: 'ten_1',
      environment: 'sandbox',
      type: 'payin.succeeded',
      createdAt: 1,
      data: parsed.value,
    };
    expect(envelope.isValid(event)).toBe(true);
    expect(catalogue.renderData('payin.succeeded', 1, parsed.value)).toEqual(payin);
  });

  it('fills optional fields with their defaults', () => {
    const parsed = catalogue.parseData('refund.updated', 1, { ...payin, status: 'pending' });
    expect(parsed).toMatchObject({ ok: true, value: { originalTransactionId: null } });
  });

  it.each([
    [{ ...payin, amount: 10.5 }, 'data.amount', 'must be an integer'],
    [{ ...payin, amount: '1050' }, 'data.amount', 'must be an integer'],
    [{ ...payin, status: 'failed' }, 'data.status', 'must be one of "succeeded"'],
    [{ ...payin, currency: 'euro' }, 'data.currency', 'ISO 4217'],
    [{ ...payin, occurredAt: 'yesterday' }, 'data.occurredAt', 'ISO 8601'],
    [{ ...payin, occurredAt: '2026-11-28T12:00:00' }, 'data.occurredAt', 'time zone'],
    [{ ...payin, transactionId: undefined }, 'data.transactionId', 'is required'],
    [{ ...payin, colour: 'red' }, 'data.colour', 'is not a field'],
  ])('names the bad field %#', (data, field, message) => {
    const parsed = catalogue.parseData('payin.succeeded', 1, data);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  it('names every bad field at once', () => {
    const parsed = catalogue.parseData('api.request_failed', 1, { status: 'oops', httpStatus: 2 ** 40 });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.errors.map((error) => error.field).sort()).toEqual(
        [
          'data.httpStatus',
          'data.occurredAt',
          'data.requestId',
          'data.responseCode',
          'data.responseMessage',
          'data.status',
        ].sort(),
      );
    }
  });

  it('refuses data that is not an object', () => {
    expect(catalogue.parseData('payin.failed', 1, 'x')).toEqual({
      ok: false,
      errors: [{ field: 'data', message: 'must be an object' }],
    });
  });

  describe('format versions', () => {
    const apiFailure = {
      requestId: 'req_1',
      status: 'failed',
      responseCode: 'E42',
      responseMessage: 'Invalid card',
      occurredAt: '2026-11-28T12:00:00.000Z',
    };
    const envelope = (data: Record<string, unknown>) => ({
      eventId: 'evt_1',
      tenantId: 'ten_1',
      environment: 'live',
      type: 'api.request_failed',
      createdAt: 1,
      data,
    });
    const parsed = (version: number, data: unknown) => {
      const result = catalogue.parseData('api.request_failed', version, data);
      if (!result.ok) throw new Error(JSON.stringify(result.errors));
      return result.value;
    };
    const render = (writer: number, reader: number, data: Record<string, unknown>) => {
      const written = Type.forSchema(catalogue.schemaOf('api.request_failed', writer) as never);
      const read = Type.forSchema(catalogue.readerSchemaOf('api.request_failed', reader) as never);
      const value = read.fromBuffer(written.toBuffer(envelope(data)), read.createResolver(written)) as {
        data: Record<string, unknown>;
      };
      return catalogue.renderData('api.request_failed', reader, value.data);
    };

    it('renders v1 data as v2: new fields take their defaults, a renamed field its new name', () => {
      expect(render(1, 2, parsed(1, { ...apiFailure, httpStatus: 402 }))).toEqual({
        ...apiFailure,
        httpStatusCode: 402,
        transactionId: null,
        path: null,
      });
    });

    it('renders v2 data as v1: a field v2 renamed is found under its old name, new fields are left out', () => {
      expect(render(2, 1, parsed(2, { ...apiFailure, httpStatusCode: 402, path: '/v1/payins' }))).toEqual({
        ...apiFailure,
        httpStatus: 402,
        transactionId: null,
      });
    });

    it("accepts a renamed field's former name in a request, and refuses both at once", () => {
      expect(parsed(2, { ...apiFailure, httpStatus: 402 })['httpStatusCode']).toBe(402);
      const both = catalogue.parseData('api.request_failed', 2, {
        ...apiFailure,
        httpStatus: 402,
        httpStatusCode: 402,
      });
      expect(both).toEqual({
        ok: false,
        errors: [{ field: 'data.httpStatusCode', message: 'give one of "httpStatusCode", "httpStatus", not both' }],
      });
    });

    it('keeps the registered schemas as the files say: reader aliases only in reader schemas', () => {
      expect(JSON.stringify(catalogue.schemaOf('api.request_failed', 1))).not.toContain('httpStatusCode');
      expect(JSON.stringify(catalogue.readerSchemaOf('api.request_failed', 1))).toContain('httpStatusCode');
    });
  });
});
