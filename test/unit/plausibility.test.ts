import { describe, expect, it } from "vitest";
import { PlausibilityChecker } from "../../src/agent/plausibility.js";
import { PlausibilityConfig } from "../../src/config/agent-schema.js";
import type { RawReading } from "../../src/hardware/binding.js";
import type { ReadingKind, ReadingQuality, ReadingUnit } from "../../src/protocol/index.js";

const T0 = 1_700_000_000_000;
const DEFAULTS = PlausibilityConfig.parse({});

function raw(id: string, kind: ReadingKind, unit: ReadingUnit, value: number | null, sampledAtMs: number): RawReading {
  return { id, kind, unit, value, sampledAtMs };
}

const temp = (value: number | null, atMs: number): RawReading => raw("coretemp.0:Core 0", "temperature", "C", value, atMs);

/**
 * Rate is measured from the last accepted sample over the time since it, so a rejected level becomes
 * physically possible as time passes. 5 °C/s keeps these 30-40 °C steps impossible for several seconds,
 * so what accepts them below is persistence, not elapsed time.
 */
const SLOW = PlausibilityConfig.parse({ maxRateCPerS: 5 });

/** Feeds one temperature sensor a value per second; returns the quality of each. */
function qualitiesOf(valuesC: readonly (number | null)[], cfg: PlausibilityConfig = SLOW): ReadingQuality[] {
  const checker = new PlausibilityChecker(cfg);
  return valuesC.map((v, i) => checker.check([temp(v, T0 + i * 1000)], T0 + i * 1000)[0]!.quality);
}

describe("PlausibilityChecker: one reading at a time", () => {
  it.each<[string, RawReading, ReadingQuality, number | null]>([
    ["a normal temperature", temp(45, T0), "ok", 45],
    ["a missing value", temp(null, T0), "missing", null],
    ["−40 °C (−40000 m°C: a disconnected probe)", temp(-40000 / 1000, T0), "out_of_range", -40],
    ["129 °C (129000 m°C: the SMC's invalid value)", temp(129000 / 1000, T0), "out_of_range", 129],
    ["125 °C, the top of the range", temp(125, T0), "ok", 125],
    ["−10 °C, the bottom of the range", temp(-10, T0), "ok", -10],
    ["NaN", temp(Number.NaN, T0), "out_of_range", null],
    ["Infinity", temp(Number.POSITIVE_INFINITY, T0), "out_of_range", null],
    ["a fan at 65535 rpm (no tach signal)", raw("nct6798:fan1", "fan", "rpm", 65535, T0), "out_of_range", 65535],
    ["a fan at 1200 rpm", raw("nct6798:fan1", "fan", "rpm", 1200, T0), "ok", 1200],
    ["a negative fan speed", raw("nct6798:fan1", "fan", "rpm", -1, T0), "out_of_range", -1],
    ["a pump at 65535 rpm", raw("d5next:Pump speed", "pump", "rpm", 65535, T0), "out_of_range", 65535],
    ["CPU load 101 %", raw("cpu:util", "load", "pct", 101, T0), "out_of_range", 101],
    ["CPU load −1 %", raw("cpu:util", "load", "pct", -1, T0), "out_of_range", -1],
    ["CPU load 100 %", raw("cpu:util", "load", "pct", 100, T0), "ok", 100],
    ["negative disk throughput", raw("disk:sda", "disk", "MBps", -3, T0), "out_of_range", -3],
    ["negative flow", raw("d5next:Flow speed [dL/h]", "flow", "Lpm", -0.1, T0), "out_of_range", -0.1],
    ["a reading 11 s old (staleAfterS 10)", temp(45, T0 - 11_000), "stale", 45],
    ["a reading 10 s old", temp(45, T0 - 10_000), "ok", 45],
  ])("%s", (_name, reading, quality, value) => {
    const [out] = new PlausibilityChecker(DEFAULTS).check([reading], T0);
    expect(out).toEqual({ id: reading.id, kind: reading.kind, unit: reading.unit, value, quality });
  });
});

describe("PlausibilityChecker: rate of change", () => {
  it.each<[string, (number | null)[], ReadingQuality[]]>([
    ["a one-read spike then back", [50, 50, 90, 50, 51], ["ok", "ok", "rate", "ok", "ok"]],
    ["a two-read spike then back", [50, 90, 91, 50], ["ok", "rate", "rate", "ok"]],
    ["a genuine step, accepted on its third read", [50, 50, 80, 80, 80, 81], ["ok", "ok", "rate", "rate", "ok", "ok"]],
    ["a step whose reads jitter within the rate", [50, 80, 83, 85, 86], ["ok", "rate", "rate", "ok", "ok"]],
    ["a step interrupted by a missing read starts counting again", [50, 80, null, 80, 80, 80], ["ok", "rate", "missing", "rate", "rate", "ok"]],
    ["alternating spikes never confirm", [50, 90, 20, 90, 20, 50], ["ok", "rate", "rate", "rate", "rate", "ok"]],
    ["a sentinel does not become the reference", [50, 129, 52], ["ok", "out_of_range", "ok"]],
    ["a step that never settles never confirms", [50, 80, 100, 120, 50], ["ok", "rate", "rate", "rate", "ok"]],
  ])("%s", (_name, valuesC, qualities) => {
    expect(qualitiesOf(valuesC)).toEqual(qualities);
  });

  it("with the defaults (20 °C/s) a spike of 40 °C in a second is caught, 20 °C is not", () => {
    expect(qualitiesOf([50, 70, 90], DEFAULTS)).toEqual(["ok", "ok", "ok"]);
    expect(qualitiesOf([50, 90, 50], DEFAULTS)).toEqual(["ok", "rate", "ok"]);
  });

  it("allows a larger change after a longer gap", () => {
    const checker = new PlausibilityChecker(SLOW);
    checker.check([temp(40, T0)], T0);
    expect(checker.check([temp(90, T0 + 10_000)], T0 + 10_000)[0]?.quality).toBe("ok");
  });

  it("does not confirm a step from the same slow sample delivered again", () => {
    const checker = new PlausibilityChecker(SLOW);
    checker.check([temp(40, T0)], T0);
    const qualities = [1, 2, 3, 4].map((i) => checker.check([temp(90, T0 + 1000)], T0 + i * 1000)[0]?.quality);
    expect(qualities).toEqual(["rate", "rate", "rate", "rate"]);
  });
});
