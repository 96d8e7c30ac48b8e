import { EndpointLane } from './endpoint-lane';

/** Lets every promise callback that is ready run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A delivery entering the lane, and whether it has been let through yet. */
function arrive(lane: EndpointLane): { readonly entered: () => boolean; readonly done: Promise<void> } {
  let entered = false;
  const done = lane.enter(null).then(() => {
    entered = true;
  });
  return { entered: () => entered, done };
}

describe('EndpointLane', () => {
  const circuit = { failureThreshold: 2, probeIntervalMs: 60_000 };

  it('parks a delivery that waited for a slot while the circuit opened, instead of sending it', async () => {
    let parked = 0;
    const lane = new EndpointLane(2, circuit, (delta) => (parked += delta));
    const first = arrive(lane);
    const second = arrive(lane);
    const waiting = arrive(lane);
    await settle();
    expect([first.entered(), second.entered(), waiting.entered()]).toEqual([true, true, false]);

    // Both attempts in flight fail (timed out): the circuit opens, then their slots are given back.
    lane.record(false);
    lane.record(false);
    expect(lane.isCircuitOpen).toBe(true);
    lane.leave();
    lane.leave();
    await settle();
    expect(waiting.entered()).toBe(false);
    expect(parked).toBe(1);

    // Once the circuit closes (a probe succeeded), it goes.
    lane.record(true);
    await waiting.done;
    expect(parked).toBe(0);
    lane.dispose();
  });

  it('hands a slot given back to the delivery waiting longest, so one arriving then waits its turn', async () => {
    const lane = new EndpointLane(1, circuit);
    const first = arrive(lane);
    const waiting = arrive(lane);
    await settle();
    expect([first.entered(), waiting.entered()]).toEqual([true, false]);

    lane.leave();
    const late = arrive(lane);
    await settle();
    expect(waiting.entered()).toBe(true);
    expect(late.entered()).toBe(false);

    lane.leave();
    await late.done;
    lane.dispose();
  });
});
