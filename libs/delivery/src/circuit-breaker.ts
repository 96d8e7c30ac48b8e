/** An endpoint's circuit: closed (deliver), open (park deliveries; one probe per interval). */
export type CircuitState =
  | { readonly status: 'closed'; readonly consecutiveFailures: number }
  | {
      readonly status: 'open';
      readonly consecutiveFailures: number;
      readonly openedAt: number;
      readonly lastProbeAt: number;
    };

export interface CircuitOptions {
  /** Consecutive failed attempts that open the circuit. */
  readonly failureThreshold: number;
  /** How often an open circuit lets one delivery through as a probe. */
  readonly probeIntervalMs: number;
}

export const CLOSED: CircuitState = { status: 'closed', consecutiveFailures: 0 };

/** What to do with a delivery now: send it, send it as the interval's probe, or park it. */
export function admit(state: CircuitState, now: number, options: CircuitOptions): 'send' | 'probe' | 'park' {
  if (state.status === 'closed') return 'send';
  return now - state.lastProbeAt >= options.probeIntervalMs ? 'probe' : 'park';
}

export type CircuitTransition = 'opened' | 'closed' | undefined;

/** The circuit after an attempt's outcome, and whether that opened or closed it. */
export function recordOutcome(
  state: CircuitState,
  isSuccess: boolean,
  now: number,
  options: CircuitOptions,
): { state: CircuitState; transition: CircuitTransition } {
  if (isSuccess) {
    return { state: CLOSED, transition: state.status === 'open' ? 'closed' : undefined };
  }
  const consecutiveFailures = state.consecutiveFailures + 1;
  if (state.status === 'open') return { state: { ...state, consecutiveFailures }, transition: undefined };
  if (consecutiveFailures >= options.failureThreshold) {
    return { state: { status: 'open', consecutiveFailures, openedAt: now, lastProbeAt: now }, transition: 'opened' };
  }
  return { state: { status: 'closed', consecutiveFailures }, transition: undefined };
}

/** Marks that a probe went out now, so the next waits a whole interval. */
export function probed(state: CircuitState, now: number): CircuitState {
  return state.status === 'open' ? { ...state, lastProbeAt: now } : state;
}
