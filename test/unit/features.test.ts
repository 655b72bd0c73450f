import { describe, expect, it } from "vitest";
import { FeatureWindow, extractFeatures, hostPowerW, hostViewFrom, type SensorManifest } from "../../src/controller/features.js";
import type { ControlMode, HostBirth, Reading, Telemetry } from "../../src/protocol/index.js";

/** A multiple of 10 s, so window k of the test starts at T0 + k·10 s. */
const T0 = 1_763_712_000_000;

const CPU0 = "coretemp.0:Package id 0";
const CPU1 = "coretemp.1:Package id 1";
const DRIVE = "drivetemp.sda:temp1";
const INLET_A = "ipmi:Inlet Temp";
const INLET_B = "nct6798:SYSTIN";

const SENSORS: HostBirth["sensors"] = [
  { id: CPU0, kind: "temperature", unit: "C", role: "cpu", targetC: 85, criticalC: 95, required: true },
  { id: CPU1, kind: "temperature", unit: "C", role: "cpu", targetC: 80, criticalC: 95, required: false },
  { id: DRIVE, kind: "temperature", unit: "C", role: "drive", targetC: 45, criticalC: 60, required: true },
  { id: INLET_A, kind: "temperature", unit: "C", role: "inlet" },
  { id: INLET_B, kind: "temperature", unit: "C", role: "inlet" },
  { id: "nct6798:fan1", kind: "fan", unit: "rpm" },
];
const MANIFEST: SensorManifest = { host: "h1", sensors: SENSORS };

const BIRTH: HostBirth = {
  v: 1,
  host: "h1",
  boot: "boot-0001",
  online: true,
  ts: T0,
  agentVersion: "0.1.0",
  periodMs: 1000,
  sensors: SENSORS,
  capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100 }, maxLeaseMs: 30_000 },
};

function temp(id: string, value: number | null, quality: Reading["quality"] = "ok"): Reading {
  return { id, kind: "temperature", value, unit: "C", quality };
}

function message(tsOffsetMs: number, readings: Reading[], over: Partial<Telemetry> = {}): Telemetry {
  return {
    v: 1,
    host: "h1",
    boot: "boot-0001",
    seq: tsOffsetMs,
    ts: T0 + tsOffsetMs,
    periodMs: 1000,
    mode: "remote",
    outputs: { fanPct: 40 },
    dropped: 0,
    readings,
    ...over,
  };
}

/**
 * Ten messages at T0 + 0.5 s … 9.5 s with known answers:
 * CPU0 = 70 + i (target 85), CPU1 = 60 (target 80) except one untrusted 99 °C spike; drive 40 (target 45) except one
 * stuck 50; inlets 20 and 24; cpu:util = 30 + 2i (2 points/s = 120 points/min); disk:total alternating 10/20 with
 * the last missing; fan 40 + i; pump on even messages only; CPU0 bad in two messages and absent from one.
 */
function window0(): Telemetry[] {
  return Array.from({ length: 10 }, (_, i) => {
    const readings: Reading[] = [
      temp(CPU1, i === 4 ? 99 : 60, i === 4 ? "rate" : "ok"),
      temp(DRIVE, i === 7 ? 50 : 40, i === 7 ? "stuck" : "ok"),
      temp(INLET_A, 20),
      temp(INLET_B, 24),
      { id: "cpu:util", kind: "load", value: 30 + 2 * i, unit: "pct", quality: "ok" },
      { id: "disk:total", kind: "disk", value: i === 9 ? null : i % 2 === 0 ? 10 : 20, unit: "MBps", quality: i === 9 ? "missing" : "ok" },
      { id: "power_meter:power1", kind: "power", value: 300 + 10 * i, unit: "W", quality: "ok" },
      { id: "ipmi:PSU1 Power", kind: "power", value: 900, unit: "W", quality: "ok" },
    ];
    if (i === 2) readings.push(temp(CPU0, null, "missing"));
    else if (i === 3) readings.push(temp(CPU0, 200, "out_of_range"));
    else if (i !== 5) readings.push(temp(CPU0, 70 + i));
    const mode: ControlMode = i === 3 ? "failsafe" : "local";
    return message(500 + 1000 * i, readings, { mode, outputs: i % 2 === 0 ? { fanPct: 40 + i, pumpPct: 60 } : { fanPct: 40 + i } });
  });
}

describe("FeatureWindow", () => {
  it("computes every field of a window with known answers, excluding untrusted readings", () => {
    const window = new FeatureWindow(MANIFEST);
    for (const m of window0()) expect(window.push(m)).toBeUndefined();
    const features = window.push(message(10_500, [temp(CPU0, 70)]));
    expect(features).toBeDefined();
    expect(features?.cpuUtilSlopePctPerMin).toBeCloseTo(120, 9);
    expect(features?.powerWMean).toBeCloseTo(345, 9);
    expect({ ...features, cpuUtilSlopePctPerMin: 0, powerWMean: 0 }).toEqual({
      hostId: "h1",
      windowStartMs: T0,
      windowEndMs: T0 + 10_000,
      samples: 10,
      cpuMarginC: 79 - 85,
      driveMarginC: 40 - 45,
      cpuMaxC: 79,
      driveMaxC: 40,
      inletC: 22,
      cpuUtilMeanPct: 39,
      cpuUtilSlopePctPerMin: 0,
      diskMBpsMean: (5 * 10 + 4 * 20) / 9,
      fanPctMean: 44.5,
      pumpPctMean: 60,
      powerWMean: 0,
      // CPU0 missing, out of range and absent; the required drive stuck once.
      badRequiredReadings: 4,
      modes: ["local", "failsafe"],
    });
  });

  it("takes the margin of the sensor closest to its own target, not the hottest one", () => {
    // CPU1 (target 80) at 78 is −2; CPU0 (target 85) at 82 is −3 but hotter.
    const [features] = extractFeatures(MANIFEST, [message(0, [temp(CPU0, 82), temp(CPU1, 78)])]);
    expect(features).toMatchObject({ cpuMarginC: -2, cpuMaxC: 82 });
  });

  it("aligns windows to multiples of the window length and emits a window when the first later message arrives", () => {
    const window = new FeatureWindow(MANIFEST);
    expect(window.push(message(3_000, []))).toBeUndefined();
    expect(window.push(message(9_999, []))).toBeUndefined();
    // A message exactly at the end belongs to the next window.
    expect(window.push(message(10_000, []))).toMatchObject({ windowStartMs: T0, windowEndMs: T0 + 10_000, samples: 2 });
    expect(window.push(message(19_000, []))).toBeUndefined();
    // A gap: the empty windows in between are not emitted, the next one starts on its own boundary.
    expect(window.push(message(47_000, []))).toMatchObject({ windowStartMs: T0 + 10_000, samples: 2 });
    expect(window.flush()).toMatchObject({ windowStartMs: T0 + 40_000, windowEndMs: T0 + 50_000, samples: 1 });
    expect(window.flush()).toBeUndefined();
  });

  it("honours another window length", () => {
    const out = extractFeatures(MANIFEST, [message(4_000, []), message(6_000, []), message(7_000, [])], { windowMs: 5_000 });
    expect(out.map((f) => [f.windowStartMs - T0, f.windowEndMs - T0, f.samples])).toEqual([
      [0, 5_000, 1],
      [5_000, 10_000, 2],
    ]);
  });

  it("drops and counts messages older than the open window, also after a flush", () => {
    const window = new FeatureWindow(MANIFEST);
    window.push(message(12_000, []));
    expect(window.push(message(9_000, []))).toBeUndefined();
    window.flush();
    expect(window.push(message(15_000, []))).toBeUndefined();
    expect(window.lateMessages).toBe(2);
    expect(window.flush()).toBeUndefined();
  });

  it("leaves what it cannot know null: no trusted readings, a single utilisation sample", () => {
    const [features] = extractFeatures(MANIFEST, [
      message(1_000, [temp(CPU0, 80, "stale"), { id: "cpu:util", kind: "load", value: 50, unit: "pct", quality: "ok" }]),
    ]);
    expect(features).toMatchObject({
      cpuMarginC: null,
      cpuMaxC: null,
      driveMarginC: null,
      inletC: null,
      cpuUtilMeanPct: 50,
      cpuUtilSlopePctPerMin: null,
      diskMBpsMean: null,
      pumpPctMean: null,
      powerWMean: null,
      // CPU0 stale, and the required drive absent.
      badRequiredReadings: 2,
    });
  });

  it("ignores readings whose id is right but kind is wrong, and sensors the manifest does not know", () => {
    const [features] = extractFeatures(MANIFEST, [
      message(1_000, [
        { id: "cpu:util", kind: "disk", value: 50, unit: "MBps", quality: "ok" },
        temp("coretemp.9:Core 0", 99),
        temp(CPU0, 70),
        temp(DRIVE, 40),
      ]),
    ]);
    expect(features).toMatchObject({ cpuUtilMeanPct: null, cpuMaxC: 70, badRequiredReadings: 0 });
  });

  it("is the same streamed and in batch", () => {
    const messages = [...window0(), message(12_000, [temp(CPU0, 71)]), message(25_000, [temp(CPU0, 72)])];
    const window = new FeatureWindow(MANIFEST);
    const streamed = messages.map((m) => window.push(m)).filter((f) => f !== undefined);
    const last = window.flush();
    expect([...streamed, last]).toEqual(extractFeatures(MANIFEST, messages));
    expect(extractFeatures(MANIFEST, messages)).toHaveLength(3);
  });

  it("refuses another host's telemetry and a bad window length", () => {
    expect(() => new FeatureWindow(MANIFEST).push(message(0, [], { host: "h2" }))).toThrow(/host h1 got telemetry of host h2/);
    expect(() => new FeatureWindow(MANIFEST, { windowMs: 0 })).toThrow(/windowMs must be a positive integer/);
  });
});

describe("hostPowerW", () => {
  const power = (id: string, value: number | null, quality: Reading["quality"] = "ok"): Reading => ({ id, kind: "power", value, unit: "W", quality });

  it.each([
    ["prefers the power meter even when a part reads more", [power("power_meter:power1", 300), power("ipmi:PSU1 Power", 900)], 300],
    ["takes the largest meter of several", [power("power_meter.0:power1", 300), power("power_meter.1:power1", 320)], 320],
    ["falls back to the largest power reading", [power("ipmi:PSU1 Power", 250), power("rapl:package-0", 120)], 250],
    ["skips untrusted readings", [power("power_meter:power1", 9999, "rate"), power("ipmi:PSU1 Power", 250)], 250],
    ["is null without a trusted power reading", [power("power_meter:power1", null, "missing")], null],
  ] as const)("%s", (_name, readings, expected) => {
    expect(hostPowerW(readings)).toBe(expected);
  });
});

describe("hostViewFrom", () => {
  it("joins the latest message with the manifest's controlled temperatures", () => {
    const telemetry = message(500, [
      temp(CPU0, 72),
      temp(CPU1, 99, "rate"),
      temp(INLET_A, 21),
      { id: "cpu:util", kind: "load", value: 40, unit: "pct", quality: "ok" },
      { id: "disk:total", kind: "disk", value: 12, unit: "MBps", quality: "stale" },
      { id: "power_meter:power1", kind: "power", value: 310, unit: "W", quality: "ok" },
    ], { boot: "boot-0002", outputs: { fanPct: 45, pumpPct: 55 }, mode: "local" });
    expect(hostViewFrom(BIRTH, telemetry)).toEqual({
      hostId: "h1",
      boot: "boot-0002",
      lastSeenMs: T0 + 500,
      capabilities: BIRTH.capabilities,
      periodMs: 1000,
      temperatures: [
        { id: CPU0, role: "cpu", tempC: 72, quality: "ok", targetC: 85, criticalC: 95, required: true },
        { id: CPU1, role: "cpu", tempC: 99, quality: "rate", targetC: 80, criticalC: 95, required: false },
        { id: DRIVE, role: "drive", tempC: null, quality: "missing", targetC: 45, criticalC: 60, required: true },
      ],
      fanPct: 45,
      pumpPct: 55,
      cpuUtilPct: 40,
      diskMBps: null,
      powerW: 310,
      mode: "local",
      alarms: [],
    });
    const alarms = [{ kind: "fan_failure" as const, source: "nct6798:fan3", sinceMs: 1 }];
    expect(hostViewFrom(BIRTH, { ...telemetry, alarms }).alarms).toEqual(alarms);
  });

  it("without telemetry reports every controlled temperature missing", () => {
    const view = hostViewFrom(BIRTH, undefined);
    expect(view.temperatures.map((t) => [t.id, t.tempC, t.quality])).toEqual([
      [CPU0, null, "missing"],
      [CPU1, null, "missing"],
      [DRIVE, null, "missing"],
    ]);
    expect(view).toMatchObject({ boot: "boot-0001", lastSeenMs: undefined, fanPct: undefined, cpuUtilPct: null, mode: undefined });
  });
});
