import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { uniformInt } from "pure-rand/distribution/uniformInt";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { describe, expect, it } from "vitest";
import {
  TRANSITIONS,
  TRIGGER_NAMES,
  initialState,
  transition,
  type HostEvent,
  type HostMachineState,
} from "../../src/controller/state-machine/index.js";
import { HOST_STATES, type HostFeatures, type HostStateName } from "../../src/controller/types.js";

const W = 10_000;

function rowKey(row: { from: string; to: string; trigger: string }): string {
  return `${row.from} -> ${row.to} : ${row.trigger}`;
}

describe("TRANSITIONS", () => {
  it("leads each trigger to one place per state", () => {
    const keys = TRANSITIONS.map((row) => `${row.from} : ${row.trigger}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("names only known states and triggers, and never leaves Decommissioned", () => {
    for (const row of TRANSITIONS) {
      expect(HOST_STATES).toContain(row.from);
      expect(HOST_STATES).toContain(row.to);
      expect(TRIGGER_NAMES).toContain(row.trigger);
      expect(row.from).not.toBe("Decommissioned");
      expect(row.from).not.toBe(row.to);
    }
  });

  it("reaches every state from Setup, and every trigger is used", () => {
    const reached = new Set<HostStateName>(["Setup"]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const row of TRANSITIONS) {
        if (reached.has(row.from) && !reached.has(row.to)) {
          reached.add(row.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...HOST_STATES].sort());
    expect(new Set(TRANSITIONS.map((row) => row.trigger))).toEqual(new Set(TRIGGER_NAMES));
  });
});

/** Telemetry-like regimes that persist for a few windows, so holds can be met and broken at random. */
class EventSource {
  private readonly rng: RandomGenerator;
  private regime: Partial<HostFeatures> = {};
  private regimeLeft = 0;
  private k = 0;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed);
  }

  next(): HostEvent {
    const atMs = this.k * W;
    const roll = uniformFloat64(this.rng);
    if (roll < 0.03) return { type: "birth", atMs, calibrated: this.chance(0.7) };
    if (roll < 0.045) return { type: "offline", atMs, reason: this.chance(0.5) ? "lost" : "shutdown" };
    if (roll < 0.06) return { type: "actuatorFault", atMs, detail: "fan1 not following" };
    if (roll < 0.063) return { type: "decommission", atMs };
    if (this.regimeLeft <= 0) {
      this.regime = this.newRegime();
      this.regimeLeft = uniformInt(this.rng, 1, 12);
    }
    this.regimeLeft--;
    const k = this.k++;
    return { type: "features", atMs: (k + 1) * W, features: this.features(k) };
  }

  private features(k: number): HostFeatures {
    return {
      hostId: "h1",
      windowStartMs: k * W,
      windowEndMs: (k + 1) * W,
      samples: 10,
      cpuMarginC: -15,
      driveMarginC: -15,
      cpuMaxC: 70,
      driveMaxC: 30,
      inletC: 22,
      cpuUtilMeanPct: 30,
      cpuUtilSlopePctPerMin: 0,
      diskMBpsMean: 10,
      fanPctMean: 40,
      pumpPctMean: null,
      powerWMean: 300,
      badRequiredReadings: this.chance(0.02) ? 1 : 0,
      modes: this.chance(0.01) ? ["failsafe"] : ["remote"],
      ...this.regime,
    };
  }

  private newRegime(): Partial<HostFeatures> {
    return {
      cpuMarginC: this.pick([-15, -6, -4, -3, -1, 2, null]),
      driveMarginC: this.pick([-15, -6, -2, null]),
      cpuUtilMeanPct: this.pick([30, 45, 55, 80, 95, null]),
      cpuUtilSlopePctPerMin: this.pick([0, 5, 20, 70, -70, null]),
      diskMBpsMean: this.pick([10, 60, 100, 200, 400, null]),
      badRequiredReadings: this.chance(0.05) ? 2 : 0,
    };
  }

  private pick<T>(options: readonly T[]): T {
    return options[uniformInt(this.rng, 0, options.length - 1)] as T;
  }

  private chance(p: number): boolean {
    return uniformFloat64(this.rng) < p;
  }
}

describe("transition() under random event sequences", () => {
  it("makes only changes that are in TRANSITIONS, and keeps its bookkeeping consistent", () => {
    const allowed = new Set(TRANSITIONS.map(rowKey));
    const fired = new Set<string>();
    const problems: string[] = [];
    for (let seed = 1; seed <= 200; seed++) {
      const source = new EventSource(seed);
      let state: HostMachineState = initialState(0);
      for (let i = 0; i < 400; i++) {
        const event = source.next();
        const result = transition(state, event);
        const at = `seed ${seed}, event ${i} (${event.type} at ${event.atMs}) in ${state.name}`;
        const change = result.change;
        if (change) {
          const key = rowKey(change);
          fired.add(key);
          if (!allowed.has(key)) problems.push(`${at}: ${key} is not in TRANSITIONS`);
          if (change.from !== state.name) problems.push(`${at}: change says from ${change.from}`);
          if (result.state.name !== change.to) problems.push(`${at}: change says to ${change.to}, state is ${result.state.name}`);
          if (result.state.sinceMs !== event.atMs) problems.push(`${at}: sinceMs ${result.state.sinceMs} after a change at ${event.atMs}`);
          if (change.cause.length === 0) problems.push(`${at}: empty cause`);
        } else {
          if (result.state.name !== state.name) problems.push(`${at}: moved to ${result.state.name} without a change`);
          if (result.state.sinceMs !== state.sinceMs) problems.push(`${at}: sinceMs moved without a change`);
        }
        if ((result.state.fault !== null) !== (result.state.name === "Error")) problems.push(`${at}: fault set outside Error, or missing in it`);
        // A decommissioned host is gone for good; start over to keep exploring.
        state = result.state.name === "Decommissioned" ? initialState(event.atMs) : result.state;
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
    // The generator reaches every row, so the check above covers the whole table.
    expect([...allowed].filter((key) => !fired.has(key))).toEqual([]);
  });
});
