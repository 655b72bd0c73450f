import type { ApiFleetEvent, ApiFleetEventType } from "../src/controller/http/api-types.js";

const EVENT_TYPES: readonly ApiFleetEventType[] = ["hosts", "telemetry", "transition", "summary"];
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 15_000;

export type LinkStatus = "connecting" | "open" | "down";

export interface FleetEventHandlers {
  onEvent(event: ApiFleetEvent): void;
  onStatus(status: LinkStatus): void;
  /** After a reconnect: events were missed, so views refetch what they show. */
  onResync(): void;
}

/**
 * /api/events with our own reconnect: EventSource's built-in retry hammers a controller that is restarting at a
 * fixed interval, so on error we close it and reopen with exponential backoff and jitter.
 */
export class FleetEventSource {
  private source: EventSource | undefined;
  private retryTimer: number | undefined;
  private backoffMs = BACKOFF_FIRST_MS;
  private hasBeenOpen = false;

  constructor(private readonly handlers: FleetEventHandlers) {}

  start(): void {
    this.connect();
  }

  private connect(): void {
    this.handlers.onStatus("connecting");
    const source = new EventSource("api/events");
    this.source = source;
    source.onopen = () => {
      this.backoffMs = BACKOFF_FIRST_MS;
      this.handlers.onStatus("open");
      if (this.hasBeenOpen) this.handlers.onResync();
      this.hasBeenOpen = true;
    };
    source.onerror = () => {
      source.close();
      this.handlers.onStatus("down");
      const delayMs = this.backoffMs * (0.8 + Math.random() * 0.4);
      this.backoffMs = Math.min(this.backoffMs * 2, BACKOFF_MAX_MS);
      window.clearTimeout(this.retryTimer);
      this.retryTimer = window.setTimeout(() => this.connect(), delayMs);
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message: MessageEvent<string>) => {
        try {
          this.handlers.onEvent(JSON.parse(message.data) as ApiFleetEvent);
        } catch (err) {
          console.error("coolfleet: bad event", type, err);
        }
      });
    }
  }
}
