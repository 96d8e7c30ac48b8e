import { RecentAttempts } from './recent-attempts';

describe('RecentAttempts', () => {
  it('claims a key once while it is remembered', () => {
    const recent = new RecentAttempts(10);
    expect(recent.claim('dlv_1#2')).toBe(true);
    expect(recent.claim('dlv_1#2')).toBe(false);
    expect(recent.claim('dlv_1#3')).toBe(true);
  });

  it('forgets the oldest key beyond its capacity', () => {
    const recent = new RecentAttempts(2);
    recent.claim('a');
    recent.claim('b');
    recent.claim('c');
    expect(recent.claim('a')).toBe(true);
    expect(recent.claim('c')).toBe(false);
  });

  it('lets a released key be claimed again', () => {
    const recent = new RecentAttempts(10);
    recent.claim('a');
    recent.release('a');
    expect(recent.claim('a')).toBe(true);
  });
});
