import { describe, expect, it } from "vitest";
import type { TickReport } from "../../src/agent/agent.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { parseAgentConfig } from "../../src/config/load.js";
import { periodStatus, superviseAgent } from "../../src/ops/agent-service.js";
import { ServiceNotifier, type NotifyTransport } from "../../src/ops/sd-notify.js";
import { watchdogIntervalMs, WatchdogFeeder } from "../../src/ops/watchdog.js";

/** A transport that records messages and resolves each one only when the test says so. */
function heldTransport(): { transport: NotifyTransport; sent: string[][]; release(): void } {
  const sent: string[][] = [];
  const waiting: Array<() => void> = [];
  return {
    sent,
    transport: (fields) => {
      sent.push([...fields]);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release: () => waiting.shift()?.(),
  };
}

const report = (seq: number): TickReport => ({ seq, mode: "local", outputs: { fanPct: 42.4 }, readings: [], sweepMs: 1, reasons: [] });

describe("ServiceNotifier", () => {
  it("is a no-op without NOTIFY_SOCKET", async () => {
    const notifier = ServiceNotifier.fromEnv(silentLogger(), {});
    expect(notifier.enabled).toBe(false);
    await notifier.ready("x");
    expect(notifier.watchdog()).toBe(false);
  });

  it("sends READY, STATUS and STOPPING in order, one at a time, with STATUS on one line", async () => {
    const held = heldTransport();
    const notifier = new ServiceNotifier(held.transport);
    const ready = notifier.ready("up\nand running");
    const stopping = notifier.stopping("bye");
    await Promise.resolve();
    expect(held.sent).toEqual([["READY=1", "STATUS=up and running"]]);
    held.release();
    await ready;
    await Promise.resolve();
    expect(held.sent[1]).toEqual(["STOPPING=1", "STATUS=bye"]);
    held.release();
    await stopping;
  });

  it("drops a watchdog ping while another message is still being delivered", async () => {
    const held = heldTransport();
    const notifier = new ServiceNotifier(held.transport);
    expect(notifier.watchdog("a")).toBe(true);
    expect(notifier.watchdog("b")).toBe(false);
    await Promise.resolve();
    held.release();
    await notifier.idle();
    expect(notifier.watchdog("c")).toBe(true);
    await Promise.resolve();
    held.release();
    await notifier.idle();
    expect(held.sent).toEqual([
      ["WATCHDOG=1", "STATUS=a"],
      ["WATCHDOG=1", "STATUS=c"],
    ]);
  });

  it("keeps going after a transport that throws", async () => {
    const sent: string[][] = [];
    let calls = 0;
    const notifier = new ServiceNotifier((fields) => {
      if (calls++ === 0) throw new Error("boom");
      sent.push([...fields]);
      return Promise.resolve();
    });
    await notifier.ready();
    await notifier.stopping();
    expect(sent).toEqual([["STOPPING=1"]]);
  });
});

describe("watchdog", () => {
  it("reads WATCHDOG_USEC, and ignores one meant for another PID", () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000" }, 42)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42)).toBe(30_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "7" }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: "nope" }, 42)).toBeUndefined();
  });

  it("pings on completed work at most every third of WatchdogSec", async () => {
    const sent: string[][] = [];
    const notifier = new ServiceNotifier((fields) => {
      sent.push([...fields]);
      return Promise.resolve();
    });
    const clock = new ManualClock(0);
    const feeder = new WatchdogFeeder(notifier, clock, 30_000);
    const pings: boolean[] = [];
    for (let i = 0; i < 25; i++) {
      pings.push(feeder.workCompleted());
      await notifier.idle();
      clock.advance(1000);
    }
    // t = 0, 10 s and 20 s.
    expect(pings.map((p, i) => (p ? i : -1)).filter((i) => i >= 0)).toEqual([0, 10, 20]);
    expect(sent.every((m) => m[0] === "WATCHDOG=1")).toBe(true);
  });

  it("never pings without a watchdog or without a notify socket", () => {
    const clock = new ManualClock(0);
    expect(new WatchdogFeeder(new ServiceNotifier(() => Promise.resolve()), clock, undefined).workCompleted()).toBe(false);
    expect(new WatchdogFeeder(new ServiceNotifier(undefined), clock, 30_000).workCompleted()).toBe(false);
  });
});

describe("superviseAgent", () => {
  const config = parseAgentConfig(
    { version: 1, temperatures: [{ match: "x", role: "cpu", targetC: 80, criticalC: 90 }], fans: { chip: "nct6798", channels: [1, 2] }, pump: { chip: "d5next", channels: [1] } },
    "test",
  );

  it("READY names the host and its outputs; each completed period may feed the watchdog with a status line", async () => {
    const sent: string[][] = [];
    const notifier = new ServiceNotifier((fields) => {
      sent.push([...fields]);
      return Promise.resolve();
    });
    let listener: ((r: TickReport) => void) | undefined;
    const agent = { onPeriod: (l: (r: TickReport) => void) => (listener = l) };
    const clock = new ManualClock(0);
    const service = superviseAgent(agent, { config, hostId: "h1", clock, logger: silentLogger(), env: { WATCHDOG_USEC: "3000000" }, notifier });
    await service.ready();
    listener!(report(0));
    await notifier.idle();
    clock.advance(500);
    listener!(report(1)); // within a third of 3 s: no ping
    await notifier.idle();
    await service.stopping();
    expect(sent).toEqual([
      ["READY=1", "STATUS=controlling h1: fans (hwmon chip nct6798 channels [1, 2]) and pump (hwmon chip d5next channels [1]); broker mqtt://127.0.0.1:1883"],
      ["WATCHDOG=1", "STATUS=period 0: local, fans 42 %"],
      ["STOPPING=1", "STATUS=handing fans back to firmware"],
    ]);
  });

  it("describes a period for systemctl status", () => {
    expect(periodStatus({ ...report(7), mode: "override", outputs: { fanPct: 100, pumpPct: 80 }, reasons: ["fans: over temperature"] })).toBe(
      "period 7: override, fans 100 %, pump 80 % (fans: over temperature)",
    );
  });
});
