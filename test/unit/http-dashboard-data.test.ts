import { describe, expect, it } from "vitest";
import type { StateTransitionRecord } from "../../src/controller/http/read-model.js";
import { hostHash, parseRoute } from "../../dashboard/hash-route.js";
import { chartColumns, cumulativeEnergyKWh, mergePoints, pointsSince } from "../../dashboard/telemetry-series.js";
import { stateBands } from "../../dashboard/timeline-bands.js";
import { telemetryPoint } from "../fixtures/fake-read-model.js";

const T0 = 1_700_000_000_000;

describe("dashboard telemetry series", () => {
  it("merges fetched and streamed points in time order without duplicates", () => {
    const fetched = [telemetryPoint(T0, 1), telemetryPoint(T0 + 1000, 2)];
    const streamed = [telemetryPoint(T0 + 2000, 3), telemetryPoint(T0 + 1000, 2)];
    expect(mergePoints(fetched, streamed).map((p) => p.seq)).toEqual([1, 2, 3]);
    // A new boot restarts seq: the same seq from another boot is a different point.
    const rebooted = telemetryPoint(T0 + 3000, 1, { boot: "boot-0002" });
    expect(mergePoints(fetched, [rebooted]).map((p) => p.ts)).toEqual([T0, T0 + 1000, T0 + 3000]);
  });

  it("cuts a ts-ordered list at a start time", () => {
    const points = [0, 1000, 2000, 3000].map((dt, i) => telemetryPoint(T0 + dt, i));
    expect(pointsSince(points, T0 + 1500).map((p) => p.seq)).toEqual([2, 3]);
    expect(pointsSince(points, T0 + 1000).map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(pointsSince(points, T0 + 9000)).toEqual([]);
  });

  it("splits points into columns with seconds on the time axis and null for untrusted readings", () => {
    const ok = telemetryPoint(T0, 1, { pumpPct: 40 });
    const stuck = telemetryPoint(T0 + 1000, 2, {
      readings: ok.readings.map((r) => (r.id === "cpu0" ? { ...r, quality: "stuck" as const } : r)),
    });
    const columns = chartColumns([ok, stuck], ["cpu0", "sda"]);
    expect(columns.tsS).toEqual([T0 / 1000, T0 / 1000 + 1]);
    expect(columns.tempsC.get("cpu0")).toEqual([71, null]);
    expect(columns.tempsC.get("sda")).toEqual([41, 41]);
    expect(columns.pumpPct).toEqual([40, null]);
    expect(columns.cpuUtilPct).toEqual([52, 52]);
    expect(columns.diskMBps).toEqual([12, 12]);
    expect(columns.powerW).toEqual([410, 410]);
  });

  it("integrates power into kWh, skipping unknown power and long gaps", () => {
    const hourMs = 3_600_000;
    // 1 kW for an hour in two half-hour steps = 1 kWh; half-hour steps exceed a 30 s gap limit, so raise it here.
    expect(cumulativeEnergyKWh([0, hourMs / 2, hourMs], [1000, 1000, 1000], hourMs)).toEqual([0, 0.5, 1]);
    // Before the first known power there is no energy yet; an interval with an unknown end adds nothing.
    expect(cumulativeEnergyKWh([0, 1000, 2000, 3000], [null, 3600, null, 3600])).toEqual([null, 0, 0, 0]);
    // A 10-minute hole (agent offline) is not bridged.
    expect(cumulativeEnergyKWh([0, 600_000], [1000, 1000])).toEqual([0, 0]);
    const oneSecondAt3600W = cumulativeEnergyKWh([0, 1000], [3600, 3600]);
    expect(oneSecondAt3600W[1]).toBeCloseTo(0.001, 9);
  });
});

describe("dashboard state bands", () => {
  const t = (from: StateTransitionRecord["from"], to: StateTransitionRecord["to"], atMs: number, cause = `${from}→${to}`): StateTransitionRecord => ({
    hostId: "h",
    from,
    to,
    cause,
    atMs,
  });

  it("starts with the state the last earlier transition entered and splits at each transition in range", () => {
    const bands = stateBands([t("Setup", "Running", 0), t("Running", "Cooling", 150), t("Cooling", "Running", 180)], 100, 200, "Running");
    expect(bands).toEqual([
      { state: "Running", startMs: 100, endMs: 150, cause: "Setup→Running" },
      { state: "Cooling", startMs: 150, endMs: 180, cause: "Running→Cooling" },
      { state: "Running", startMs: 180, endMs: 200, cause: "Cooling→Running" },
    ]);
  });

  it("without an earlier transition, starts in the first later transition's from-state", () => {
    expect(stateBands([t("Running", "Error", 150)], 100, 200, "Error").map((b) => [b.state, b.startMs, b.cause])).toEqual([
      ["Running", 100, null],
      ["Error", 150, "Running→Error"],
    ]);
  });

  it("without any transition, one band in the current state; nothing for an empty range", () => {
    expect(stateBands([], 100, 200, "DataStorage")).toEqual([{ state: "DataStorage", startMs: 100, endMs: 200, cause: null }]);
    expect(stateBands([], 200, 200, "Running")).toEqual([]);
  });

  it("ignores transitions after the range and sorts unsorted input", () => {
    const bands = stateBands([t("Running", "Scaling", 300), t("Cooling", "Running", 120), t("Running", "Cooling", 50)], 100, 200, "Scaling");
    expect(bands.map((b) => b.state)).toEqual(["Cooling", "Running"]);
  });
});

describe("dashboard hash routes", () => {
  it("reads the fleet and host views and the chart range", () => {
    expect(parseRoute("")).toEqual({ view: "fleet" });
    expect(parseRoute("#/")).toEqual({ view: "fleet" });
    expect(parseRoute("#/host/r740-01")).toEqual({ view: "host", hostId: "r740-01", range: "15m" });
    expect(parseRoute("#/host/r740-01?range=1h")).toEqual({ view: "host", hostId: "r740-01", range: "1h" });
    expect(parseRoute("#/host/r740-01?range=7d")).toEqual({ view: "host", hostId: "r740-01", range: "15m" });
    expect(parseRoute("#/host/%E0%A4%A")).toEqual({ view: "fleet" });
  });

  it("writes what it reads", () => {
    expect(parseRoute(hostHash("mac.pro_2", "5m"))).toEqual({ view: "host", hostId: "mac.pro_2", range: "5m" });
    expect(hostHash("r740-01", "15m")).toBe("#/host/r740-01");
  });
});
