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

  it("commits past a batch's end (a commit marker after its last message) once everything before it is done", () => {
    const tracker = new OffsetTracker();
    tracker.begin(20n);
    tracker.begin(21n);
    tracker.passed(22n);
    expect(tracker.committable()).toBe(20n);
    tracker.finish(20n);
    tracker.finish(21n);
    expect(tracker.committable()).toBe(23n);
    // A later message moves it on as usual; an older batch end never moves it back.
    tracker.passed(5n);
    expect(tracker.committable()).toBe(23n);
  });
});
