import pino from 'pino';
import { type Closeable, closeInOrder } from './close-in-order';

const logger = pino({ enabled: false });

describe('closeInOrder', () => {
  it('closes every step in order, past one that fails', async () => {
    const closed: string[] = [];
    const step = (name: string, fails = false): Closeable => [
      name,
      async () => {
        closed.push(name);
        if (fails) throw new Error(`${name} failed`);
      },
    ];
    await expect(
      closeInOrder([step('consumer'), step('publisher', true), step('pool')], logger, 1_000),
    ).resolves.toEqual({});
    expect(closed).toEqual(['consumer', 'publisher', 'pool']);
  });

  it('names the step still closing when the deadline passes', async () => {
    jest.useFakeTimers();
    try {
      const closed: string[] = [];
      const stopping = closeInOrder(
        [
          ['consumer', async () => closed.push('consumer')],
          ['publisher', () => new Promise(() => undefined)],
          ['pool', async () => closed.push('pool')],
        ],
        logger,
        30_000,
      );
      await jest.advanceTimersByTimeAsync(30_000);
      await expect(stopping).resolves.toEqual({ stuckOn: 'publisher' });
      expect(closed).toEqual(['consumer']);
    } finally {
      jest.useRealTimers();
    }
  });
});
