import { describe, expect, it } from "vitest";
import { estimatedCoolingW, fleetCoolingW } from "../../src/controller/cooling-power.js";
import { hostView } from "../fixtures/fake-read-model.js";

const fans = (maxPowerW?: number) => ({ channels: 6, tier: "full" as const, minPct: 20, maxPct: 100, ...(maxPowerW === undefined ? {} : { maxPowerW }) });

describe("estimated cooling power", () => {
  it("is the announced watts at 100 % by the cube law at the reported outputs, fans plus pump", () => {
    expect(estimatedCoolingW(hostView("a", { capabilities: { fans: fans(72), maxLeaseMs: 30_000 }, fanPct: 50 }))).toBeCloseTo(9, 9);
    expect(estimatedCoolingW(hostView("a", { capabilities: { fans: fans(72), maxLeaseMs: 30_000 }, fanPct: 100 }))).toBeCloseTo(72, 9);
    const liquid = hostView("l", { capabilities: { fans: fans(72), pump: { channels: 1, tier: "full", minPct: 30, maxPct: 100, maxPowerW: 18 }, maxLeaseMs: 30_000 }, fanPct: 50, pumpPct: 50 });
    expect(estimatedCoolingW(liquid)).toBeCloseTo(9 + 2.25, 9);
  });

  it("makes no guess: no announced watts, a pump without its watts or output, or an offline host give none", () => {
    expect(estimatedCoolingW(hostView("a", { capabilities: { fans: fans(), maxLeaseMs: 30_000 }, fanPct: 50 }))).toBeNull();
    expect(estimatedCoolingW(hostView("a", { capabilities: { fans: fans(72), maxLeaseMs: 30_000 }, fanPct: undefined }))).toBeNull();
    expect(estimatedCoolingW(hostView("a", { capabilities: { fans: fans(72), pump: { channels: 1, tier: "full", minPct: 30, maxPct: 100 }, maxLeaseMs: 30_000 }, fanPct: 50, pumpPct: 50 }))).toBeNull();
    expect(estimatedCoolingW(hostView("a", { capabilities: { fans: fans(72), maxLeaseMs: 30_000 }, fanPct: 50, online: false }))).toBeNull();
    expect(estimatedCoolingW(hostView("a", { capabilities: undefined, fanPct: 50 }))).toBeNull();
  });

  it("sums the fleet over the hosts that allow an estimate and says how many", () => {
    const views = [
      hostView("a", { capabilities: { fans: fans(72), maxLeaseMs: 30_000 }, fanPct: 100 }),
      hostView("b", { capabilities: { fans: fans(24), maxLeaseMs: 30_000 }, fanPct: 50 }),
      hostView("c", { capabilities: { fans: fans(), maxLeaseMs: 30_000 }, fanPct: 100 }),
    ];
    expect(fleetCoolingW(views)).toEqual({ watts: 75, hosts: 2 });
    expect(fleetCoolingW([views[2]!])).toEqual({ watts: null, hosts: 0 });
  });
});
