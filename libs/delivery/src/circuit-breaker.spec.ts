import { admit, CLOSED, probed, recordOutcome, type CircuitState } from './circuit-breaker';

const options = { failureThreshold: 3, probeIntervalMs: 1000 };

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive failures, not before', () => {
    let state: CircuitState = CLOSED;
    const transitions = [];
    for (let n = 1; n <= 3; n++) {
      const next = recordOutcome(state, false, n, options);
      state = next.state;
      transitions.push(next.transition);
    }
    expect(transitions).toEqual([undefined, undefined, 'opened']);
    expect(state).toEqual({ status: 'open', consecutiveFailures: 3, openedAt: 3, lastProbeAt: 3 });
  });

  it('a success in between starts the count over', () => {
    let state = recordOutcome(recordOutcome(CLOSED, false, 1, options).state, false, 2, options).state;
    state = recordOutcome(state, true, 3, options).state;
    expect(recordOutcome(state, false, 4, options)).toEqual({
      state: { status: 'closed', consecutiveFailures: 1 },
      transition: undefined,
    });
  });

  it('parks while open and lets one probe through per interval', () => {
    const open: CircuitState = { status: 'open', consecutiveFailures: 3, openedAt: 0, lastProbeAt: 0 };
    expect(admit(CLOSED, 0, options)).toBe('send');
    expect(admit(open, 500, options)).toBe('park');
    expect(admit(open, 1000, options)).toBe('probe');
    expect(admit(probed(open, 1000), 1500, options)).toBe('park');
  });

  it('a failed probe keeps it open; a successful one closes it', () => {
    const open: CircuitState = { status: 'open', consecutiveFailures: 3, openedAt: 0, lastProbeAt: 1000 };
    expect(recordOutcome(open, false, 1000, options)).toMatchObject({
      state: { status: 'open', consecutiveFailures: 4 },
      transition: undefined,
    });
    expect(recordOutcome(open, true, 1000, options)).toEqual({ state: CLOSED, transition: 'closed' });
  });
});
