import { describe, expect, it } from "vitest";
import { handleDellFanControl } from "../../firmware-sim/bmc/dell-fan-commands.js";
import { FanModeLease } from "../../firmware-sim/bmc/fan-mode.js";
import { SimulatedBmc } from "../../firmware-sim/bmc/index.js";
import { SimHost, loadProfile } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";

const CURVE = [
  [0, 20],
  [60, 30],
  [70, 50],
  [80, 70],
] as const;

function lease(leaseMs = 30_000) {
  return new FanModeLease({ fanCount: 4, leaseMs, firmwareFanCurve: CURVE });
}

describe("manual fan mode is a lease", () => {
  it("lapses to automatic leaseMs after the last fan command, not before", () => {
    const clock = new ManualClock();
    const fans = lease();
    fans.commandPct(65, clock.nowMs()); // firmware at 30 %
    fans.manualOn(clock.nowMs());
    fans.setPct("all", 80, clock.nowMs());
    clock.advance(29_999);
    expect(fans.mode(clock.nowMs())).toBe("manual");
    expect(fans.commandPct(65, clock.nowMs())).toEqual([80, 80, 80, 80]);
    clock.advance(1);
    expect(fans.mode(clock.nowMs())).toBe("auto");
    expect(fans.change()).toEqual({ mode: "auto", atMs: clock.nowMs(), reason: "lease-lapsed" });
    expect(fans.commandPct(65, clock.nowMs())).toEqual([30, 30, 30, 30]);
  });

  it("every fan command renews the lease", () => {
    const clock = new ManualClock();
    const fans = lease();
    fans.manualOn(clock.nowMs());
    for (let i = 0; i < 10; i++) {
      clock.advance(20_000);
      fans.setPct("all", 40 + i, clock.nowMs());
    }
    expect(fans.mode(clock.nowMs())).toBe("manual");
    expect(fans.leaseExpiresAtMs(clock.nowMs())).toBe(clock.nowMs() + 30_000);
  });

  it("manual-on holds the firmware's current speed until a speed arrives; speeds sent in auto wait for manual", () => {
    const clock = new ManualClock();
    const fans = lease();
    fans.commandPct(75, clock.nowMs()); // firmware 50 %
    fans.setPct(2, 90, clock.nowMs()); // ignored while automatic…
    expect(fans.mode(clock.nowMs())).toBe("auto");
    expect(fans.currentPct(clock.nowMs())).toEqual([50, 50, 50, 50]);
    fans.manualOn(clock.nowMs()); // …and replaced by the firmware speed on manual-on
    expect(fans.currentPct(clock.nowMs())).toEqual([50, 50, 50, 50]);
    fans.setPct(2, 90, clock.nowMs());
    expect(fans.currentPct(clock.nowMs())).toEqual([50, 50, 90, 50]);
  });

  it("a speed sent while automatic does not start a lease", () => {
    const clock = new ManualClock();
    const fans = lease(1_000);
    fans.setPct("all", 60, clock.nowMs());
    expect(fans.leaseExpiresAtMs(clock.nowMs())).toBeUndefined();
  });
});

describe("Dell OEM 0x30 0x30", () => {
  const ctx = (personality: "manual-ok" | "refuses-manual") => ({ fans: lease(), fanCount: 4, personality, nowMs: 0 });

  it("validates data: 0xCC for bad values, 0xC7 for bad lengths", () => {
    const c = ctx("manual-ok");
    const run = (bytes: number[]) => handleDellFanControl(Buffer.from(bytes), c).cc;
    expect(run([0x01, 0x00])).toBe(0x00);
    expect(run([0x02, 0xff, 0x64])).toBe(0x00);
    expect(run([0x02, 0x03, 0x10])).toBe(0x00);
    expect(run([0x02, 0xff, 0x65])).toBe(0xcc); // above 100 %
    expect(run([0x02, 0x04, 0x10])).toBe(0xcc); // no fan 4 on a 4-fan board (ids 0..3)
    expect(run([0x01, 0x02])).toBe(0xcc);
    expect(run([0x09, 0x00])).toBe(0xcc);
    expect(run([0x01])).toBe(0xc7);
    expect(run([0x02, 0xff])).toBe(0xc7);
    expect(c.fans.currentPct(0)).toEqual([100, 100, 100, 16]);
  });

  it("the refusing personality answers 0xD4 to every fan command and never leaves automatic", () => {
    const c = ctx("refuses-manual");
    for (const bytes of [[0x01, 0x00], [0x02, 0xff, 0x20], [0x01, 0x01]]) expect(handleDellFanControl(Buffer.from(bytes), c).cc).toBe(0xd4);
    expect(c.fans.mode(0)).toBe("auto");
  });
});

describe("SimulatedBmc with the physics", () => {
  it("drives the host with the manual % while leased and with its firmware curve after the lease lapses", () => {
    const clock = new ManualClock();
    const host = new SimHost({ hostId: "r740-lease", profile: loadProfile("poweredge-r740-air"), seed: 3 });
    const bmc = new SimulatedBmc({ host, clock, leaseS: 30 });
    const load = { cpuUtil: 0.3, diskMBps: 0, inletC: 24 };
    for (let i = 0; i < 30; i++) bmc.step(1, load);
    const firmwarePct = bmc.appliedFanPct()[0];
    // The host-side (in-band) path: same command handlers as the LAN, Administrator privilege.
    expect(bmc.inBandCommand(0x30, 0x30, [0x01, 0x00]).cc).toBe(0x00);
    expect(bmc.inBandCommand(0x30, 0x30, [0x02, 0xff, 95]).cc).toBe(0x00);
    for (let i = 0; i < 20; i++) {
      clock.advance(1_000);
      bmc.step(1, load);
    }
    expect(bmc.mode()).toBe("manual");
    expect(bmc.appliedFanPct()).toEqual([95, 95, 95, 95, 95, 95]);
    expect(bmc.snapshot().fans[0]?.speedPct).toBeGreaterThan(90);
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      bmc.step(1, load);
    }
    expect(bmc.mode()).toBe("auto");
    expect(bmc.lastModeChange()).toMatchObject({ reason: "lease-lapsed" });
    expect(bmc.appliedFanPct()[0]).toBe(firmwarePct);
  });
});
