/**
 * Gathers what is added within one turn of the event loop and writes it together, once, at the next
 * turn. kafkajs hands the batches of one fetch to its workers in one go, so they arrive within one turn:
 * the projector writes them in one transaction. Each `add` settles with its group's write.
 */
export class TurnGroups<T> {
  private open?: { readonly items: T[]; readonly written: Promise<void> };

  constructor(private readonly write: (items: readonly T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    if (!this.open) {
      const items: T[] = [];
      const written = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        // Closed before the write begins: what comes while it runs starts the next group.
        this.open = undefined;
        return this.write(items);
      });
      this.open = { items, written };
    }
    this.open.items.push(item);
    return this.open.written;
  }
}
