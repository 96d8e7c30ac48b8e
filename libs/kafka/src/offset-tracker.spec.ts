import { OffsetTracker } from './offset-tracker';

describe('OffsetTracker', () => {
  it('commits up to the lowest unfinished offset, whatever order work finishes in', () => {
    const tracker = new OffsetTracker();
    expect(tracker.committable()).toBeUndefined();
    for (const offset of [10n, 11n, 12n, 13n]) tracker.begin(offset);
    expect(tracker.committable()).toBe(10n);
    tracker.finish(12n);
    tracker.finish(11n);
    expect(tracker.committable()).toBe(10n);
    tracker.finish(10n);
    expect(tracker.committable()).toBe(13n);
    tracker.finish(13n);
    expect(tracker.committable()).toBe(14n);
    expect(tracker.pending).toBe(0);
  });
});
