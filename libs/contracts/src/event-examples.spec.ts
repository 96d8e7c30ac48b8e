import { EventCatalogue } from './event-catalogue';
import { EventExamples } from './event-examples';
import { loadSchemaFiles, schemasDir } from './schemas';
import { FORMAT_DEPRECATED_EVENT_TYPE, merchantEventTypes } from './system-event-types';

const catalogue = new EventCatalogue(loadSchemaFiles());
const examples = new EventExamples(catalogue);

describe('event examples', () => {
  it.each(merchantEventTypes(catalogue.types()).map((definition) => definition.type))(
    '%s has an example that parses in its newest format version',
    (type) => {
      const example = examples.get(type);
      const latest = catalogue.get(type)?.latestVersion;
      expect(example?.formatVersion).toBe(latest);
      expect(
        catalogue.parseData(type, latest ?? 0, catalogue.renderData(type, latest ?? 0, example?.data ?? {})),
      ).toEqual({ ok: true, value: example?.data });
    },
  );

  it('has none for a system type or an unknown one', () => {
    expect(examples.get(FORMAT_DEPRECATED_EVENT_TYPE)).toBeUndefined();
    expect(examples.get('payin.unknown')).toBeUndefined();
  });

  it('are not schema files: the catalogue reads only v<N>.avsc', () => {
    expect(loadSchemaFiles().some((file) => !file.path.endsWith('.avsc'))).toBe(false);
  });

  it('refuses a directory where a merchant type has no example', () => {
    expect(() => new EventExamples(catalogue, `${schemasDir()}/internal`)).toThrow(/has no example/);
  });
});
