/** A typed list of callbacks. A listener that throws is reported and skipped: one bad consumer cannot stall ingest. */
export class Listeners<Args extends unknown[]> {
  private readonly callbacks: Array<(...args: Args) => void> = [];

  constructor(private readonly onListenerError: (err: unknown) => void) {}

  /** Registers a callback; returns the function that removes it. */
  add(callback: (...args: Args) => void): () => void {
    this.callbacks.push(callback);
    return () => {
      const index = this.callbacks.indexOf(callback);
      if (index >= 0) this.callbacks.splice(index, 1);
    };
  }

  emit(...args: Args): void {
    for (const callback of [...this.callbacks]) {
      try {
        callback(...args);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }
}
