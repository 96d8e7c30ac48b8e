import { subjectFor } from './schema-registry';

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
