import type { FleetEvent } from "./http/read-model.js";

/** Fan-out of live fleet events to dashboards; a listener that throws is removed, never the controller. */
export class FleetEvents {
  private readonly listeners = new Set<(event: FleetEvent) => void>();

  subscribe(listener: (event: FleetEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: FleetEvent): void {
    // A copy: a listener may unsubscribe itself (a stalled SSE client) while the event is delivered.
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
