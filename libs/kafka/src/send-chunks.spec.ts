import { recordBytes, sendChunks } from './send-chunks';

const record = (topic: string, bytes: number, key = 'k') => ({ topic, message: { key, value: Buffer.alloc(bytes) } });

describe('sendChunks', () => {
  it('keeps every record, in order, grouped by topic within each request', () => {
    const records = [record('a', 10, '1'), record('b', 10, '2'), record('a', 10, '3')];
    expect(sendChunks(records)).toEqual([
      [
        { topic: 'a', messages: [records[0]?.message, records[2]?.message] },
        { topic: 'b', messages: [records[1]?.message] },
      ],
    ]);
  });

  it('splits requests so none is over the byte budget', () => {
    const records = Array.from({ length: 1000 }, (_, index) => record(index % 2 ? 'a' : 'b', 1000));
    const chunks = sendChunks(records, 64 * 1024);
    const sizes = chunks.map((chunk) =>
      chunk.flatMap((group) => group.messages).reduce((sum, message) => sum + recordBytes(message), 0),
    );
    expect(chunks.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(64 * 1024);
    expect(chunks.flatMap((chunk) => chunk.flatMap((group) => group.messages))).toHaveLength(1000);
  });

  it('sends a record larger than the budget alone rather than dropping it', () => {
    const chunks = sendChunks([record('a', 10), record('a', 2000), record('a', 10)], 1024);
    expect(chunks.map((chunk) => chunk[0]?.messages.length)).toEqual([1, 1, 1]);
  });

  it('makes no request for no records', () => {
    expect(sendChunks([])).toEqual([]);
  });
});
