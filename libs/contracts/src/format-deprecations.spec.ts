import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventCatalogue } from './event-catalogue';
import {
  defaultFormatDeprecationsFile,
  InvalidFormatDeprecations,
  loadFormatDeprecations,
  parseFormatDeprecations,
} from './format-deprecations';
import { loadSchemaFiles, type SchemaFile } from './schemas';

const schemaFile = (type: string, formatVersion: number, extra: Record<string, unknown> = {}): SchemaFile => ({
  type,
  formatVersion,
  path: `${type}/v${formatVersion}.avsc`,
  schema: { type: 'record', name: 'Event', fields: [], ...extra },
});

// Its own catalogue, so that other versions appearing under schemas/ change nothing here.
const catalogue = new EventCatalogue([
  schemaFile('payout.updated', 1),
  schemaFile('payout.updated', 2),
  schemaFile('payout.updated', 3),
  schemaFile('refund.updated', 1),
  schemaFile('hookstream.format_deprecated', 1, { optIn: true, system: true }),
]);

const entry = (overrides: Record<string, unknown> = {}) => ({
  type: 'payout.updated',
  version: 1,
  sunsetAt: '2027-06-30T00:00:00Z',
  replacement: 2,
  ...overrides,
});
const parse = (json: unknown) => parseFormatDeprecations(json, catalogue, 'deprecations.json');

describe('format deprecations', () => {
  it('reads each entry, the sunset normalised to UTC, replacement and note null when left out', () => {
    const deprecations = parse({
      deprecations: [
        entry({ sunsetAt: '2027-06-30T02:00:00+02:00', note: 'v2 carries fees' }),
        entry({ version: 2, replacement: undefined }),
      ],
    });
    expect(deprecations.all).toEqual([
      {
        type: 'payout.updated',
        version: 1,
        sunsetAt: '2027-06-30T00:00:00.000Z',
        replacement: 2,
        note: 'v2 carries fees',
      },
      { type: 'payout.updated', version: 2, sunsetAt: '2027-06-30T00:00:00.000Z', replacement: null, note: null },
    ]);
    expect(deprecations.of('payout.updated', 2)?.replacement).toBeNull();
    expect(deprecations.of('payout.updated', 3)).toBeUndefined();
    expect(deprecations.of('refund.updated', 1)).toBeUndefined();
  });

  it('accepts an empty catalogue', () => {
    expect(parse({ deprecations: [] }).all).toEqual([]);
  });

  it.each([
    [
      'an unknown type',
      entry({ type: 'payout.exploded' }),
      '(payout.exploded v1): "payout.exploded" is not an event type',
    ],
    [
      'an unknown version',
      entry({ version: 7, replacement: null }),
      '(payout.updated v7): version 7 is not a format version (payout.updated has v1, v2, v3)',
    ],
    [
      'a replacement that is not later',
      entry({ version: 2, replacement: 1 }),
      'replacement 1 must be a later format version than 2',
    ],
    [
      'a replacement equal to the version',
      entry({ replacement: 1 }),
      'replacement 1 must be a later format version than 1',
    ],
    [
      'a replacement that does not exist',
      entry({ replacement: 4 }),
      'replacement 4 is not a format version (payout.updated has v1, v2, v3)',
    ],
    [
      'a replacement of a type with one version',
      entry({ type: 'refund.updated', replacement: 2 }),
      '(refund.updated v1): replacement 2 is not a format version',
    ],
    [
      'a system type',
      entry({ type: 'hookstream.format_deprecated', replacement: null }),
      'is sent by hookstream itself',
    ],
    [
      'a date that is no date',
      entry({ sunsetAt: 'next spring' }),
      'sunsetAt must be an ISO 8601 date-time with a time zone',
    ],
    ['a date without a time', entry({ sunsetAt: '2027-06-30' }), 'sunsetAt must be an ISO 8601 date-time'],
    [
      'a date-time without a time zone',
      entry({ sunsetAt: '2027-06-30T00:00:00' }),
      'sunsetAt must be an ISO 8601 date-time with a time zone',
    ],
    ['a missing sunset', entry({ sunsetAt: undefined }), 'sunsetAt must be an ISO 8601 date-time'],
    [
      'a version that is not an integer',
      entry({ version: '1' }),
      'deprecations[0]: version Invalid input: expected number',
    ],
    ['an unknown field', entry({ sunset: '2027-06-30T00:00:00Z' }), 'Unrecognized key: "sunset"'],
  ])('refuses %s, naming the entry', (_, bad, message) => {
    expect(() => parse({ deprecations: [bad] })).toThrow(InvalidFormatDeprecations);
    expect(() => parse({ deprecations: [bad] })).toThrow(`deprecations.json: 1 problem(s):\n  deprecations[0]`);
    expect(() => parse({ deprecations: [bad] })).toThrow(message);
  });

  it('refuses a version deprecated twice', () => {
    expect(() => parse({ deprecations: [entry(), entry({ replacement: 3 })] })).toThrow(
      'deprecations[1] (payout.updated v1): payout.updated v1 is already deprecated by deprecations[0]',
    );
  });

  it('names every bad entry at once', () => {
    let error: unknown;
    try {
      parse({ deprecations: [entry(), entry({ version: 2, replacement: 2 }), entry({ type: 'x.y', version: 1 })] });
    } catch (caught) {
      error = caught;
    }
    expect(String(error)).toContain('2 problem(s)');
    expect(String(error)).toContain('deprecations[1] (payout.updated v2)');
    expect(String(error)).toContain('deprecations[2] (x.y v1)');
  });

  it.each([
    ['not an object', []],
    ['without deprecations', {}],
    ['with deprecations that are not a list', { deprecations: { type: 'payout.updated' } }],
  ])('refuses a file %s', (_, json) => {
    expect(() => parse(json)).toThrow(/^deprecations\.json: must be \{ "deprecations": \[/);
  });

  describe('the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deprecations-'));

    it('ships beside the schemas, valid for the repository catalogue', () => {
      expect(defaultFormatDeprecationsFile()).toMatch(/schemas\/deprecations\.json$/);
      expect(() => loadFormatDeprecations(new EventCatalogue(loadSchemaFiles()))).not.toThrow();
    });

    it('is read from the path given', () => {
      const path = join(dir, 'ok.json');
      writeFileSync(path, JSON.stringify({ deprecations: [entry()] }));
      expect(loadFormatDeprecations(catalogue, path).all.map((deprecation) => deprecation.version)).toEqual([1]);
    });

    it('names the file when it is missing or not JSON', () => {
      const broken = join(dir, 'broken.json');
      writeFileSync(broken, '{ "deprecations": [');
      expect(() => loadFormatDeprecations(catalogue, join(dir, 'missing.json'))).toThrow(/missing\.json: ENOENT/);
      expect(() => loadFormatDeprecations(catalogue, broken)).toThrow(/broken\.json: .*JSON/);
    });
  });
});
