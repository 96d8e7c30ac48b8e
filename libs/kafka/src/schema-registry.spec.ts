import { canonicalSchemaJson, subjectFor } from './schema-registry';

describe('subjectFor (TopicRecordNameStrategy)', () => {
  it('joins the topic and the record full name', () => {
    expect(
      subjectFor('hookstream.events', { type: 'record', name: 'PayinSucceeded', namespace: 'hookstream.events' }),
    ).toBe('hookstream.events-hookstream.events.PayinSucceeded');
  });

  it('takes a dotted name as the full name, whatever the namespace', () => {
    expect(subjectFor('t', { type: 'record', name: 'a.b.C', namespace: 'ignored' })).toBe('t-a.b.C');
  });
});

describe('canonicalSchemaJson', () => {
  it('is the same text for a reformatted or reordered schema, and keeps field order', () => {
    const file = JSON.parse(`{
      "type": "record", "name": "X",
      "fields": [ { "name": "b", "type": "long", "default": 0 }, { "name": "a", "type": "string" } ]
    }`) as unknown;
    const reordered = {
      fields: [
        { default: 0, type: 'long', name: 'b' },
        { type: 'string', name: 'a' },
      ],
      name: 'X',
      type: 'record',
    };
    expect(canonicalSchemaJson(file)).toBe(canonicalSchemaJson(reordered));
    expect(canonicalSchemaJson(file)).toBe(
      '{"fields":[{"default":0,"name":"b","type":"long"},{"name":"a","type":"string"}],"name":"X","type":"record"}',
    );
  });
});
