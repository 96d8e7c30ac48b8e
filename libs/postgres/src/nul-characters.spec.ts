import { jsonWithoutNulCharacters, nulCharacterPath, withoutNulCharacters } from './nul-characters';

describe('nulCharacterPath', () => {
  it('names the first string or key holding U+0000, nested in objects and arrays', () => {
    expect(nulCharacterPath({ type: 'payin.succeeded', data: { note: 'a\u0000b' } })).toBe('data.note');
    expect(nulCharacterPath({ items: ['ok', 'x\u0000'] })).toBe('items.1');
    expect(nulCharacterPath({ data: { 'k\u0000': 1 } })).toBe('data.k\u0000');
    expect(nulCharacterPath('\u0000')).toBe('');
  });

  it('finds nothing in clean values, numbers, nulls and buffers of other types', () => {
    expect(nulCharacterPath({ a: 'text', b: 1, c: null, d: [true, { e: 'é' }] })).toBeUndefined();
    expect(nulCharacterPath(undefined)).toBeUndefined();
  });
});

describe('withoutNulCharacters', () => {
  it('replaces U+0000 with U+FFFD in strings and keys, leaving the input untouched', () => {
    const input = { data: { note: 'a\u0000b', ['k\u0000']: ['\u0000'] }, amount: 5 };
    expect(withoutNulCharacters(input)).toEqual({ data: { note: 'a\uFFFDb', ['k\uFFFD']: ['\uFFFD'] }, amount: 5 });
    expect(input.data.note).toBe('a\u0000b');
  });

  it('leaves dates and buffers in rows as they are', () => {
    const at = new Date(0);
    const bytes = Buffer.from([0, 1]);
    expect(withoutNulCharacters([['x\u0000', at, bytes]])).toEqual([['x\uFFFD', at, bytes]]);
    expect(nulCharacterPath([bytes, at])).toBeUndefined();
  });

  it('returns a clean value as it is', () => {
    const clean = { a: ['b'] };
    expect(withoutNulCharacters(clean)).toBe(clean);
  });
});

describe('jsonWithoutNulCharacters', () => {
  it('is the JSON of the value, U+0000 in strings and keys replaced with U+FFFD', () => {
    const value = { note: 'a\u0000b', ['k\u0000']: ['\u0000'], amount: 5 };
    expect(JSON.parse(jsonWithoutNulCharacters(value))).toEqual({
      note: 'a\uFFFDb',
      ['k\uFFFD']: ['\uFFFD'],
      amount: 5,
    });
    expect(jsonWithoutNulCharacters({ note: 'clean', n: [1, null] })).toBe('{"note":"clean","n":[1,null]}');
  });

  it('keeps a backslash followed by the text u0000 as it is', () => {
    const value = { note: 'C:\\u0000 is a path, not a NUL' };
    expect(JSON.parse(jsonWithoutNulCharacters(value))).toEqual(value);
  });
});
