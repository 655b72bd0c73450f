/**
 * Doubling delay between reconnect attempts, capped. No jitter: each host owns its serial port, so there is no
 * herd to spread out (unlike MQTT reconnects across a fleet).
 */
export class ReconnectSchedule {
  private attempts = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
  ) {}

  nextDelayMs(): number {
    const delayMs = Math.min(this.maxMs, this.minMs * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 30);
    return delayMs;
  }

  reset(): void {
    this.attempts = 0;
  }
}
