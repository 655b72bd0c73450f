import { describe, expect, it } from "vitest";
import { ReconnectBackoff } from "../../src/agent/backoff.js";
import { OutboundQueue, type OutboundMessage } from "../../src/agent/outbound-queue.js";

const telemetry = (n: number): OutboundMessage => ({ topic: "t", payload: String(n), retain: false, droppable: true });
const ack = (n: number): OutboundMessage => ({ topic: "a", payload: `ack${n}`, retain: false, droppable: false });

function drain(queue: OutboundQueue): string[] {
  const out: string[] = [];
  for (let m = queue.shift(); m; m = queue.shift()) out.push(m.payload);
  return out;
}

describe("OutboundQueue", () => {
  it("drops the oldest telemetry when full and counts every drop", () => {
    const queue = new OutboundQueue(3);
    for (let i = 0; i < 5; i++) queue.push(telemetry(i));
    expect(queue.dropped).toBe(2);
    expect(drain(queue)).toEqual(["2", "3", "4"]);
  });

  it("never drops acks to make room", () => {
    const queue = new OutboundQueue(2);
    queue.push(ack(1));
    queue.push(telemetry(1));
    queue.push(ack(2));
    queue.push(telemetry(2));
    expect(queue.dropped).toBe(2);
    expect(drain(queue)).toEqual(["ack1", "ack2"]);
  });

  it("puts unacknowledged messages back in front, in order", () => {
    const queue = new OutboundQueue(10);
    queue.push(telemetry(3));
    queue.requeueFront([telemetry(1), telemetry(2)]);
    expect(drain(queue)).toEqual(["1", "2", "3"]);
  });
});

describe("ReconnectBackoff", () => {
  it("grows exponentially up to the cap and resets after a connect", () => {
    const backoff = new ReconnectBackoff(1000, 30_000, () => 1);
    const delays = Array.from({ length: 8 }, () => backoff.nextDelayMs());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    backoff.reset();
    expect(backoff.nextDelayMs()).toBe(1000);
  });

  it("jitters between the minimum and the ceiling", () => {
    const backoff = new ReconnectBackoff(1000, 30_000, () => 0);
    expect([backoff.nextDelayMs(), backoff.nextDelayMs(), backoff.nextDelayMs()]).toEqual([1000, 1000, 1000]);
  });
});
