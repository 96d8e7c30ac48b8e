/**
 * The attempts this dispatcher made lately, by key, oldest forgotten first: a bounded memory, enough
 * to send an attempt dispatched twice (a redrive racing a scheduled retry) only once.
 */
export class RecentAttempts {
  // A Map iterates in insertion order: its first key is the oldest.
  private readonly keys = new Map<string, true>();

  constructor(private readonly capacity: number) {}

  /** True the first time a key is claimed; false while it is remembered. */
  claim(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.set(key, true);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    return true;
  }

  release(key: string): void {
    this.keys.delete(key);
  }
}
