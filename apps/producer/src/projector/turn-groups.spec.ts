import { TurnGroups } from './turn-groups';

describe('TurnGroups', () => {
  it('writes what is added within one turn once, together', async () => {
    const writes: number[][] = [];
    const groups = new TurnGroups<number>(async (items) => {
      writes.push([...items]);
    });
    await Promise.all([groups.add(1), groups.add(2), Promise.resolve().then(() => groups.add(3))]);
    expect(writes).toEqual([[1, 2, 3]]);
  });

  it('starts a new group for what is added while a write runs', async () => {
    const writes: number[][] = [];
    let releaseFirst!: () => void;
    const groups = new TurnGroups<number>(async (items) => {
      writes.push([...items]);
      if (writes.length === 1) await new Promise<void>((resolve) => (releaseFirst = resolve));
    });
    const first = groups.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = groups.add(2);
    releaseFirst();
    await Promise.all([first, second]);
    expect(writes).toEqual([[1], [2]]);
  });

  it('rejects every item of a failed write, and the next group is written on its own', async () => {
    let fail = true;
    const written: number[] = [];
    const groups = new TurnGroups<number>(async (items) => {
      if (fail) throw new Error('Postgres is down');
      written.push(...items);
    });
    const failed = await Promise.allSettled([groups.add(1), groups.add(2)]);
    expect(failed.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await groups.add(3);
    expect(written).toEqual([3]);
  });
});
