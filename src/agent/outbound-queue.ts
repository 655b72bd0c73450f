/** A message waiting for the broker. */
export interface OutboundMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** Telemetry may be dropped when the queue is full; acks and state may not. */
  droppable: boolean;
}

/**
 * Messages held while the broker is unreachable, oldest first. Bounded: when full, the oldest droppable
 * message goes, and is counted, so a long outage costs memory only up to the bound.
 */
export class OutboundQueue {
  private items: OutboundMessage[] = [];
  private droppedCount = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.items.length;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  push(message: OutboundMessage): void {
    this.items.push(message);
    while (this.items.length > this.capacity) {
      const index = this.items.findIndex((m) => m.droppable);
      if (index < 0) break;
      this.items.splice(index, 1);
      this.droppedCount++;
    }
  }

  /** Puts messages that were in flight when the connection broke back at the front, in their order. */
  requeueFront(messages: OutboundMessage[]): void {
    this.items = [...messages, ...this.items];
    while (this.items.length > this.capacity) {
      const index = this.items.findIndex((m) => m.droppable);
      if (index < 0) break;
      this.items.splice(index, 1);
      this.droppedCount++;
    }
  }

  shift(): OutboundMessage | undefined {
    return this.items.shift();
  }
}
