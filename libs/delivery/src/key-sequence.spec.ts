import { endDelivery, type KeySequence, NEW_KEY_SEQUENCE, numberDelivery } from './key-sequence';

/** Numbers `count` deliveries of a key from `key`, returning the state and what each did. */
function numberMany(key: KeySequence, count: number) {
  const numbered: { sequence: number; goesNow: boolean }[] = [];
  for (let i = 0; i < count; i++) {
    const step = numberDelivery(key);
    key = step.key;
    numbered.push({ sequence: step.sequence, goesNow: step.goesNow });
  }
  return { key, numbered };
}

describe('key sequence', () => {
  it('numbers a key 1, 2, 3 and lets only the first go', () => {
    const { key, numbered } = numberMany(NEW_KEY_SEQUENCE, 3);
    expect(numbered).toEqual([
      { sequence: 1, goesNow: true },
      { sequence: 2, goesNow: false },
      { sequence: 3, goesNow: false },
    ]);
    expect(key).toEqual({ lastSequence: 3, finishedThrough: 0 });
  });

  it('lets each waiting delivery go when the one before it ends, and none past the last numbered', () => {
    let { key } = numberMany(NEW_KEY_SEQUENCE, 2);
    const first = endDelivery(key, 1);
    expect(first).toEqual({ kind: 'advanced', key: { lastSequence: 2, finishedThrough: 1 }, release: 2 });
    if (first.kind !== 'advanced') throw new Error('unreachable');
    key = first.key;
    expect(endDelivery(key, 2)).toEqual({
      kind: 'advanced',
      key: { lastSequence: 2, finishedThrough: 2 },
      release: null,
    });
  });

  it('sends a delivery numbered after its key went idle at once', () => {
    let { key } = numberMany(NEW_KEY_SEQUENCE, 1);
    const ended = endDelivery(key, 1);
    if (ended.kind !== 'advanced') throw new Error('the head should advance');
    key = ended.key;
    expect(numberDelivery(key)).toEqual({ key: { lastSequence: 2, finishedThrough: 1 }, sequence: 2, goesNow: true });
  });

  it('ignores an end heard twice, and the end of a delivery that is not the head', () => {
    const { key } = numberMany(NEW_KEY_SEQUENCE, 3);
    const ended = endDelivery(key, 1);
    if (ended.kind !== 'advanced') throw new Error('the head should advance');
    expect(endDelivery(ended.key, 1)).toEqual({ kind: 'stale' });
    expect(endDelivery(ended.key, 3)).toEqual({ kind: 'stale' });
    expect(endDelivery(NEW_KEY_SEQUENCE, 1)).toEqual({ kind: 'stale' });
  });
});
