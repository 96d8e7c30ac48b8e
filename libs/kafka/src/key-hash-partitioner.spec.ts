import { randomBytes } from 'node:crypto';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { keyHashPartitioner } from './key-hash-partitioner';

const metadata = (count: number) =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));

describe('keyHashPartitioner', () => {
  it("puts every key on kafkajs's default partition: text, multi-byte text and bytes, of every length", () => {
    const ours = keyHashPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const keys: (string | Buffer)[] = [
      '',
      'a',
      'ab',
      'abc',
      'ten_01jxyz',
      'dlv_0123456789abcdefghjkmnpqrs',
      'ключ-é-🔑',
    ];
    for (let length = 0; length < 80; length++) {
      keys.push(
        randomBytes(length),
        randomBytes(length).toString('hex').slice(0, length),
        randomBytes(length).toString('latin1'),
      );
    }
    let compared = 0;
    for (const partitions of [1, 2, 3, 12, 50]) {
      for (const key of keys) {
        const args: PartitionerArgs = {
          topic: 't',
          partitionMetadata: metadata(partitions),
          message: { key, value: null },
        };
        expect({ key, partition: ours(args) }).toEqual({ key, partition: theirs(args) });
        compared++;
      }
    }
    expect(compared).toBe(5 * keys.length);
  });

  it('keeps a partition the record names, and spreads keyless records over the partitions', () => {
    const ours = keyHashPartitioner();
    const partitionMetadata = metadata(4);
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 3 } })).toBe(3);
    const keyless = Array.from({ length: 8 }, () => ours({ topic: 't', partitionMetadata, message: { value: null } }));
    expect(new Set(keyless).size).toBe(4);
  });
});
