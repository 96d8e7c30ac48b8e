import { ingestErrorReason } from './ingest-metrics';

describe('ingestErrorReason', () => {
  it.each([
    [202, undefined],
    [400, 'validation'],
    [413, 'validation'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [409, 'conflict'],
    [429, 'rate_limited'],
    [404, 'other'],
    [503, 'publish_failure'],
    [500, 'publish_failure'],
  ])('%i → %s', (status, reason) => {
    expect(ingestErrorReason(status)).toBe(reason);
  });
});
