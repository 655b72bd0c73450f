import { describe, expect, it } from "vitest";
import { energyOptimalFanPct, firmwareSteadyState } from "../../firmware-sim/physics/steady-state.js";
import { listProfiles, loadProfile, parseProfile, type HostProfile } from "../../firmware-sim/profiles/index.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";

const SHIPPED = ["macpro-2019", "poweredge-r740-air", "poweredge-r750-liquid"];

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

function expectProfileError(fn: () => unknown, ...fragments: string[]): void {
  const err = errorOf(fn);
  expect(isCoolfleetError(err, ErrorCode.SimProfileInvalid)).toBe(true);
  for (const fragment of fragments) expect((err as Error).message).toContain(fragment);
}

/** A deep copy of a shipped profile as raw data, with one change applied. */
function rawWith(id: string, change: (raw: Record<string, unknown> & HostProfile) => void): unknown {
  const raw = structuredClone(loadProfile(id)) as Record<string, unknown> & HostProfile;
  change(raw);
  return raw;
}

describe("host profiles", () => {
  it("lists the shipped profiles", () => {
    expect(listProfiles()).toEqual(SHIPPED);
  });

  it("loads the PowerEdge R740: two air-cooled 205 W sockets, six fans with a 20 % floor", () => {
    const p = loadProfile("poweredge-r740-air");
    expect(p).toMatchObject({ id: "poweredge-r740-air", coolingKind: "air", sockets: 2, tjMaxC: 100 });
    expect(p.cpu.tdpW).toBe(205);
    expect(p.fans).toMatchObject({ count: 6, minPct: 20, maxPowerW: 12 });
    expect(p.heatsink).toBeDefined();
    expect(p.liquid).toBeUndefined();
    expect(p.drives.map((d) => d.name)).toEqual(["sda", "sdb", "sdc", "sdd"]);
  });

  it("loads the PowerEdge R750 with cold plates, a pumped loop and fans that still cool the platform", () => {
    const p = loadProfile("poweredge-r750-liquid");
    expect(p).toMatchObject({ coolingKind: "liquid", sockets: 2 });
    expect(p.liquid).toMatchObject({ pumpMaxPowerW: 18, pumpHeatFraction: 0.8, coolantHeatCapJPerK: 3000 });
    expect(p.fans.count).toBeGreaterThan(0);
    expect(p.heatsink).toBeUndefined();
  });

  it("loads the Mac Pro: one socket, three front fans and a blower, lower rpm, Tj max 105 °C", () => {
    const mac = loadProfile("macpro-2019");
    const dell = loadProfile("poweredge-r740-air");
    expect(mac).toMatchObject({ sockets: 1, tjMaxC: 105, coolingKind: "air" });
    expect(mac.fans.count).toBe(4);
    expect(mac.fans.maxRpmByFan).toHaveLength(4);
    expect(Math.max(...(mac.fans.maxRpmByFan ?? []))).toBeLessThan(dell.fans.maxRpm / 4);
  });

  it("hands out copies, so one caller's change does not leak into the next load", () => {
    const first = loadProfile("poweredge-r740-air");
    first.cpu.maxW = 1;
    expect(loadProfile("poweredge-r740-air").cpu.maxW).not.toBe(1);
  });

  it("names the profile when it does not exist, and lists the known ones", () => {
    expectProfileError(() => loadProfile("poweredge-r999"), '"poweredge-r999"', "poweredge-r740-air");
    expectProfileError(() => loadProfile("../etc/passwd"), "not a profile id");
  });

  it("names the profile and the key when a value is invalid", () => {
    expectProfileError(() => parseProfile("poweredge-r740-air", rawWith("poweredge-r740-air", (r) => (r.fans.count = 0))), '"poweredge-r740-air"', "fans.count");
    expectProfileError(
      () => parseProfile("poweredge-r740-air", rawWith("poweredge-r740-air", (r) => (r.drives[1] = { ...r.drives[1], name: "Bad Name" } as HostProfile["drives"][number]))),
      "drives[1].name",
    );
    expectProfileError(() => parseProfile("poweredge-r740-air", rawWith("poweredge-r740-air", (r) => (r["fanCount"] = 6))), "fanCount");
    expectProfileError(() => parseProfile("x", rawWith("poweredge-r740-air", () => undefined)), "id", "must match the file name");
  });

  it("rejects profiles whose keys contradict each other", () => {
    expectProfileError(() => parseProfile("poweredge-r740-air", rawWith("poweredge-r740-air", (r) => delete r.heatsink)), "heatsink", "air-cooled");
    expectProfileError(() => parseProfile("poweredge-r750-liquid", rawWith("poweredge-r750-liquid", (r) => delete r.liquid)), "liquid");
    expectProfileError(
      () => parseProfile("poweredge-r740-air", rawWith("poweredge-r740-air", (r) => (r.firmwareFanCurve = [[50, 40], [40, 50]]))),
      "firmwareFanCurve[1]",
      "rise",
    );
    expectProfileError(() => parseProfile("macpro-2019", rawWith("macpro-2019", (r) => (r.fans.maxRpmByFan = [1000]))), "fans.maxRpmByFan");
    expectProfileError(() => parseProfile("poweredge-r740-air", rawWith("poweredge-r740-air", (r) => (r.cpu.idleW = 500))), "cpu.idleW");
  });

  describe.each(SHIPPED)("%s is sane under its firmware curve", (id) => {
    const profile = loadProfile(id);

    it.each([0, 1])("at %s utilisation, 25 °C inlet, stays below Tj max with a modest exhaust rise", (cpuUtil) => {
      const state = firmwareSteadyState(profile, { cpuUtil, inletC: 25 });
      expect(state.runaway).toBe(false);
      expect(state.dieC).toBeLessThan(profile.tjMaxC - 3);
      expect(state.exhaustC - 25).toBeLessThanOrEqual(15);
      for (const [i, drive] of profile.drives.entries()) expect(state.driveC[i]).toBeLessThan(drive.limitC);
    });

    it("survives full load at a 35 °C stress inlet below Tj max", () => {
      const state = firmwareSteadyState(profile, { cpuUtil: 1, inletC: 35 });
      expect(state.runaway).toBe(false);
      expect(state.dieC).toBeLessThan(profile.tjMaxC);
    });

    it("has an energy-optimal fan setting at full load that does not overheat", () => {
      const optimum = energyOptimalFanPct(profile, { cpuUtil: 1, inletC: 25 });
      expect(optimum.fanPct).toBeGreaterThanOrEqual(profile.fans.minPct);
      expect(optimum.dieC).toBeLessThan(profile.tjMaxC);
    });
  });
});
