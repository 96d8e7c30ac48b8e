/**
 * Offsets of one partition taken for processing and not finished yet. The partition may be committed
 * up to its lowest unfinished offset: everything below it is done, whatever order it finished in.
 */
export class OffsetTracker {
  private readonly unfinished = new Set<bigint>();
  private next: bigint | undefined;

  begin(offset: bigint): void {
    this.unfinished.add(offset);
    this.passed(offset);
  }

  /**
   * The fetch moved past `offset`: a message taken, or a batch's end, which may be a transaction's commit
   * marker with no message to process. Committing past that keeps the lag at 0 once all is done, not 1 per marker.
   */
  passed(offset: bigint): void {
    if (this.next === undefined || offset >= this.next) this.next = offset + 1n;
  }

  finish(offset: bigint): void {
    this.unfinished.delete(offset);
  }

  get pending(): number {
    return this.unfinished.size;
  }

  /** The offset to commit (the next one to read after a restart), or undefined before any message. */
  committable(): bigint | undefined {
    let lowest: bigint | undefined;
    for (const offset of this.unfinished) if (lowest === undefined || offset < lowest) lowest = offset;
    return lowest ?? this.next;
  }
}
