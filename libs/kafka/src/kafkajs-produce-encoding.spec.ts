import { createRequire } from 'node:module';
import {
  encodeProduceRequest,
  kafkajsParts,
  type ProduceRequestOptions,
  speedUpKafkajsProduceEncoding,
} from './kafkajs-produce-encoding';

// kafkajs's own modules, as the apps load them; jest.isolateModules loads a fresh copy.
const requireFromHere = createRequire(__filename);
type Encoded = { buf: Buffer; buffer: Buffer; size(): number };
type RequestEncoder = (options: ProduceRequestOptions) => { apiVersion: number; encode(): Promise<Encoded> };
const producePath = (version: number) => `kafkajs/src/protocol/requests/produce/v${version}/request`;

const NOW = 1_764_460_800_123;
const parts = kafkajsParts();

/** What kafkajs's own produce request encoder writes. */
async function kafkajsBytes(options: ProduceRequestOptions, version = 3): Promise<Buffer> {
  let request: RequestEncoder | undefined;
  jest.isolateModules(() => {
    request = requireFromHere(producePath(version)) as RequestEncoder;
  });
  return (await (request as RequestEncoder)(options).encode()).buffer;
}

/** Every record batch is stamped with the time it is encoded: the same time for both encoders. */
beforeEach(() => jest.spyOn(Date, 'now').mockReturnValue(NOW));
afterEach(() => jest.restoreAllMocks());

const message = (key: string | null, value: Buffer | string | null, headers?: Record<string, Buffer | string>) => ({
  key,
  value,
  ...(headers ? { headers } : {}),
});

const base = { acks: -1, timeout: 30_000 };

describe('encodeProduceRequest', () => {
  const cases: [string, ProduceRequestOptions][] = [
    [
      'an idempotent producer: partitions of two topics, sequences',
      {
        ...base,
        producerId: 4021,
        producerEpoch: 3,
        topicData: [
          {
            topic: 'hookstream.delivery-events',
            partitions: [
              {
                partition: 3,
                firstSequence: 17,
                messages: [message('dlv_1', Buffer.from([0, 1, 255])), message('dlv_2', Buffer.alloc(200, 7))],
              },
              { partition: 0, firstSequence: 2_000_000, messages: [message(null, Buffer.from('ø'))] },
            ],
          },
          { topic: 'hookstream.dispatch', partitions: [{ partition: 11, messages: [message('ep_1', 'v')] }] },
        ],
      },
    ],
    [
      'a transaction: its id, and the transactional attribute',
      {
        ...base,
        transactionalId: 'hookstream-sequencer-7',
        producerId: parts.toLong('9007199254740993'),
        producerEpoch: 1,
        topicData: [{ topic: 't', partitions: [{ partition: 1, messages: [message('k', 'clé € 𝄞')] }] }],
      },
    ],
    [
      'a plain producer: no producer id, no acks',
      { acks: 0, timeout: 5_000, topicData: [{ topic: 'tëst', partitions: [{ partition: 0, messages: [] }] }] },
    ],
    [
      'headers, tombstones, empty and large values, 200 records',
      {
        ...base,
        topicData: [
          {
            topic: 't',
            partitions: [
              {
                partition: 2,
                messages: [
                  message('k', 'v', { 'hookstream-test': 'true', bin: Buffer.from([1, 2]) }),
                  { key: 'k', value: 'v', headers: { many: ['a', Buffer.from('b'), 'ç'], none: [] } },
                  message('gone', null),
                  message('empty', Buffer.alloc(0)),
                  message('large', Buffer.alloc(20_000, 9)),
                  ...Array.from({ length: 200 }, (_, index) => message(`dlv_${index}`, Buffer.alloc(index, index))),
                ],
              },
            ],
          },
        ],
      },
    ],
  ];

  it.each(cases)('writes the bytes kafkajs writes: %s', async (_name, options) => {
    const ours = encodeProduceRequest(options, parts, NOW) as unknown as Encoded;
    expect(ours.buffer.toString('hex')).toBe((await kafkajsBytes(options)).toString('hex'));
    expect(ours.buf.length).toBe(ours.size());
  });

  it.each<[string, ProduceRequestOptions]>([
    ['compression', { ...base, compression: 1, topicData: [{ topic: 't', partitions: [] }] }],
    [
      "a message's own timestamp",
      {
        ...base,
        topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v', timestamp: 5 }] }] }],
      },
    ],
    [
      'a header without a value',
      {
        ...base,
        topicData: [
          { topic: 't', partitions: [{ partition: 0, messages: [{ value: 'v', headers: { h: undefined } }] }] },
        ],
      },
    ],
    [
      'a value that is neither a string nor a buffer',
      {
        ...base,
        topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ value: 5 as unknown as string }] }] }],
      },
    ],
  ])('leaves to kafkajs: %s', (_name, options) => {
    expect(encodeProduceRequest(options, parts, NOW)).toBeUndefined();
  });
});

describe('speedUpKafkajsProduceEncoding', () => {
  const options = (timestamp?: number): ProduceRequestOptions => ({
    ...base,
    producerId: 12,
    topicData: [
      {
        topic: 'hookstream.dispatch',
        partitions: [{ partition: 4, firstSequence: 9, messages: [{ key: 'ep_1', value: 'v', timestamp }] }],
      },
    ],
  });

  it("encodes kafkajs's produce requests of every version it sends, with the same bytes", async () => {
    // Before the first produce request, as createKafka calls it.
    expect(speedUpKafkajsProduceEncoding()).toBe(true);
    const ours = encodeProduceRequest(options(), parts, NOW) as unknown as Encoded;
    for (const version of [3, 4, 5, 6, 7]) {
      const request = (requireFromHere(producePath(version)) as RequestEncoder)(options());
      expect(request.apiVersion).toBe(version);
      const encoded = await request.encode();
      // Ours: a buffer of exactly the payload's size; kafkajs's own grows by powers of two from 512 bytes.
      expect(encoded.buf.length).toBe(encoded.size());
      expect(encoded.buffer.toString('hex')).toBe(ours.buffer.toString('hex'));
      expect(encoded.buffer.toString('hex')).toBe((await kafkajsBytes(options(), version)).toString('hex'));
    }
    // What it leaves to kafkajs, kafkajs encodes.
    const request = (requireFromHere(producePath(3)) as RequestEncoder)(options(NOW - 5));
    expect((await request.encode()).buffer.toString('hex')).toBe(
      (await kafkajsBytes(options(NOW - 5))).toString('hex'),
    );
    expect(speedUpKafkajsProduceEncoding()).toBe(true);
  });
});
