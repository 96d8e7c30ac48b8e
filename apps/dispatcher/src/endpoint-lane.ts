import {
  admit,
  CLOSED,
  type CircuitOptions,
  type CircuitState,
  type CircuitTransition,
  probed,
  recordOutcome,
} from '@hookstream/delivery';

/**
 * Everything that paces one endpoint: at most N attempts at once, its rate limit (which delays,
 * never drops), and its circuit (deliveries wait, parked, while it is open; one probe per interval).
 */
export class EndpointLane {
  private running = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private readonly parked: (() => void)[] = [];
  private circuit: CircuitState = CLOSED;
  private nextSlotAt = 0;
  private probeTimer?: NodeJS.Timeout;

  constructor(
    private readonly maxConcurrent: number,
    private readonly circuitOptions: CircuitOptions,
    /** Told +1 when a delivery parks and -1 when it leaves the park. */
    private readonly onParkedChange: (delta: number) => void = () => undefined,
  ) {}

  /** Resolves when this delivery may be attempted: the circuit admits it and it holds one of the slots. */
  async enter(rateLimitPerSecond: number | null): Promise<void> {
    for (;;) {
      // An open circuit parks a delivery at once, without taking a place in the queue for a slot.
      if (admit(this.circuit, Date.now(), this.circuitOptions) === 'park') {
        await this.park();
        continue;
      }
      await this.takeSlot();
      // Asked again: the circuit may have opened while this waited for a slot (the attempts holding the slots
      // timed out). Sending anyway would hammer an endpoint already known to be down, each in a new connection.
      const verdict = admit(this.circuit, Date.now(), this.circuitOptions);
      if (verdict === 'send') break;
      if (verdict === 'probe') {
        this.circuit = probed(this.circuit, Date.now());
        break;
      }
      this.leave();
      await this.park();
    }
    if (rateLimitPerSecond) {
      const now = Date.now();
      const slot = Math.max(now, this.nextSlotAt);
      this.nextSlotAt = slot + 1000 / rateLimitPerSecond;
      if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
    }
  }

  get isCircuitOpen(): boolean {
    return this.circuit.status === 'open';
  }

  /** Gives the slot back: to the delivery waiting longest, which then holds it, or to the pool of free slots. */
  leave(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.running--;
  }

  /** A free slot now, or the next one given back, in the order deliveries asked: never more than maxConcurrent. */
  private takeSlot(): Promise<void> | undefined {
    if (this.running < this.maxConcurrent && this.slotWaiters.length === 0) {
      this.running++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  /** Until the circuit closes, or it is this delivery's turn to go out as the probe. */
  private async park(): Promise<void> {
    this.onParkedChange(1);
    await new Promise<void>((resolve) => this.parked.push(resolve));
    this.onParkedChange(-1);
  }

  /** Records an attempt's outcome; on a change of state, says so (the caller appends the event). */
  record(isSuccess: boolean): { transition: CircuitTransition; consecutiveFailures: number } {
    const { state, transition } = recordOutcome(this.circuit, isSuccess, Date.now(), this.circuitOptions);
    this.circuit = state;
    if (state.status === 'closed') {
      clearTimeout(this.probeTimer);
      this.probeTimer = undefined;
      for (const resume of this.parked.splice(0)) resume();
    } else {
      this.scheduleProbe();
    }
    return { transition, consecutiveFailures: state.consecutiveFailures };
  }

  /** While open, wakes one parked delivery per interval to go out as the probe. */
  private scheduleProbe(): void {
    if (this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.parked.shift()?.();
      if (this.circuit.status === 'open') this.scheduleProbe();
    }, this.circuitOptions.probeIntervalMs);
    this.probeTimer.unref();
  }

  /** The endpoint changed (new URL, disabled, deleted): its circuit starts over and parked deliveries move on. */
  reset(): void {
    this.circuit = CLOSED;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    for (const resume of this.parked.splice(0)) resume();
  }

  dispose(): void {
    clearTimeout(this.probeTimer);
  }
}
