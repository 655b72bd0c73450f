import { describe, expect, it } from "vitest";
import {
  ACTIVE_STATES,
  DEFAULT_STATE_MACHINE_PARAMS,
  initialState,
  stateMachineParamProblems,
  transition,
  type HostEvent,
  type HostMachineState,
  type StateChange,
  type StateMachineParams,
  type TriggerName,
} from "../../src/controller/state-machine/index.js";
import type { HostFeatures, HostStateName } from "../../src/controller/types.js";

/** Windows of 10 s; window k is [k·W, (k+1)·W) and its features event comes at its end. */
const W = 10_000;

/** A quiet, healthy host: 15 °C of headroom, 30 % CPU, 10 MB/s of disk. */
function features(k: number, over: Partial<HostFeatures> = {}): HostFeatures {
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
    badRequiredReadings: 0,
    modes: ["remote"],
    ...over,
  };
}

function win(k: number, over: Partial<HostFeatures> = {}): HostEvent {
  return { type: "features", atMs: (k + 1) * W, features: features(k, over) };
}

/** n consecutive windows from k0 with the same overrides. */
function wins(k0: number, n: number, over: Partial<HostFeatures> = {}): HostEvent[] {
  return Array.from({ length: n }, (_, i) => win(k0 + i, over));
}

interface Run {
  state: HostMachineState;
  changes: (StateChange & { index: number })[];
}

function run(start: HostMachineState, events: readonly HostEvent[], params?: StateMachineParams): Run {
  let state = start;
  const changes: Run["changes"] = [];
  events.forEach((event, index) => {
    const result = transition(state, event, params);
    state = result.state;
    if (result.change) changes.push({ ...result.change, index });
  });
  return { state, changes };
}

/** Windows 0..9 are quiet (baselines settle at 30 % and 10 MB/s); the host is Running from t = 0. */
const K = 10;
function running(): HostMachineState {
  return run(initialState(0), [{ type: "birth", atMs: 0, calibrated: true }, ...wins(0, K)]).state;
}

const HOT: Partial<HostFeatures> = { cpuMarginC: -1.2 };
const COOL: Partial<HostFeatures> = { cpuMarginC: -6 };
const SURGE: Partial<HostFeatures> = { diskMBpsMean: 200 };
const RISE: Partial<HostFeatures> = { cpuUtilMeanPct: 55 };

/** Gets a host into an active state by the shortest sequence; returns the state and the next free window. */
function inState(name: (typeof ACTIVE_STATES)[number]): { state: HostMachineState; k: number } {
  const entry: Record<(typeof ACTIVE_STATES)[number], Partial<HostFeatures> | null> = {
    Running: null,
    Cooling: HOT,
    Scaling: RISE,
    DataStorage: SURGE,
  };
  const over = entry[name];
  if (over === null) return { state: running(), k: K };
  const { state } = run(running(), wins(K, 2, over));
  expect(state.name).toBe(name);
  return { state, k: K + 2 };
}

interface Case {
  name: string;
  from: HostStateName;
  start: () => { state: HostMachineState; k: number };
  events: (k: number) => HostEvent[];
  /** The changes, in order, and at which event index each happened; [] = none may happen. */
  expected: { to: HostStateName; trigger: TriggerName; atEvent: number; cause?: RegExp }[];
}

const setup = (): { state: HostMachineState; k: number } => ({ state: initialState(0), k: 0 });

const CASES: Case[] = [
  // Setup
  {
    name: "Setup → Running on a calibrated birth",
    from: "Setup",
    start: setup,
    events: () => [{ type: "birth", atMs: 0, calibrated: true }],
    expected: [{ to: "Running", trigger: "calibrated birth", atEvent: 0, cause: /calibrated/ }],
  },
  {
    name: "Setup waits through an uncalibrated birth and features, then a calibrated birth",
    from: "Setup",
    start: setup,
    events: (k) => [{ type: "birth", atMs: 0, calibrated: false }, ...wins(k, 3), { type: "birth", atMs: 40_000, calibrated: true }],
    expected: [{ to: "Running", trigger: "calibrated birth", atEvent: 4 }],
  },
  {
    name: "Setup ignores features, link and actuator faults before any birth",
    from: "Setup",
    start: setup,
    events: (k) => [...wins(k, 3, HOT), { type: "offline", atMs: 40_000, reason: "lost" }, { type: "actuatorFault", atMs: 41_000, detail: "fan1" }],
    expected: [],
  },

  // Cooling
  {
    name: "Running → Cooling when the CPU margin is above the band for 20 s (two windows)",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 2, HOT),
    expected: [{ to: "Cooling", trigger: "temperature above band", atEvent: 1, cause: /^cpu margin -1\.2 °C above band -3 °C for 20 s$/ }],
  },
  {
    name: "a drive above its band enters Cooling too",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 2, { driveMarginC: -2 }),
    expected: [{ to: "Cooling", trigger: "temperature above band", atEvent: 1, cause: /^drive margin -2\.0 °C above band/ }],
  },
  {
    name: "a brief spike (one hot window) does not enter Cooling",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => [win(k, HOT), ...wins(k + 1, 10)],
    expected: [],
  },
  {
    name: "hot, normal, hot: the hold restarts and nothing happens",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => [win(k, HOT), win(k + 1), win(k + 2, HOT), win(k + 3)],
    expected: [],
  },
  {
    name: "a margin exactly at the band edge (−3 °C) is not above it",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 20, { cpuMarginC: -3 }),
    expected: [],
  },
  {
    name: "Cooling → Running after 60 s (six windows) at or below −5 °C",
    from: "Cooling",
    start: () => inState("Cooling"),
    events: (k) => wins(k, 6, COOL),
    expected: [{ to: "Running", trigger: "temperature back in band", atEvent: 5, cause: /^cpu margin -6\.0 °C, drive margin -15\.0 °C at or below -5 °C .* for 60 s$/ }],
  },
  {
    name: "Cooling stays inside the hysteresis band (−4 °C: below the band, not below band + hysteresis)",
    from: "Cooling",
    start: () => inState("Cooling"),
    events: (k) => wins(k, 30, { cpuMarginC: -4 }),
    expected: [],
  },
  {
    name: "one warmer window restarts the 60 s needed to leave Cooling",
    from: "Cooling",
    start: () => inState("Cooling"),
    events: (k) => [...wins(k, 5, COOL), win(k + 5, { cpuMarginC: -4.5 }), ...wins(k + 6, 6, COOL)],
    expected: [{ to: "Running", trigger: "temperature back in band", atEvent: 11 }],
  },
  {
    name: "losing every temperature reading never counts as cooled down",
    from: "Cooling",
    start: () => inState("Cooling"),
    events: (k) => wins(k, 20, { cpuMarginC: null, driveMarginC: null }),
    expected: [],
  },

  // Scaling
  {
    name: "Running → Scaling when utilisation is ≥ 20 points above its baseline for 20 s",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 2, RISE),
    expected: [{ to: "Scaling", trigger: "workload increase", atEvent: 1, cause: /^cpu utilisation 55\.0 % is 2[45]\.\d points above its baseline .* for 20 s$/ }],
  },
  {
    name: "a 15-point rise is not a workload increase, however long",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 30, { cpuUtilMeanPct: 45 }),
    expected: [],
  },
  {
    name: "a one-window burst of load is not a workload increase",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => [win(k, RISE), ...wins(k + 1, 5)],
    expected: [],
  },
  {
    name: "Running → Scaling on a slope ≥ 60 %/min in three consecutive windows",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => [0, 1, 2].map((i) => win(k + i, { cpuUtilMeanPct: 31 + i, cpuUtilSlopePctPerMin: 70 })),
    expected: [{ to: "Scaling", trigger: "workload increase", atEvent: 2, cause: /slope 70\.0 %\/min ≥ 60 %\/min for 3 consecutive windows/ }],
  },
  {
    name: "two steep windows and a flat one are not enough",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => [win(k, { cpuUtilSlopePctPerMin: 70 }), win(k + 1, { cpuUtilSlopePctPerMin: 70 }), win(k + 2), win(k + 3, { cpuUtilSlopePctPerMin: 70 })],
    expected: [],
  },
  {
    name: "Scaling → Running after utilisation holds stable for 60 s, and the new level does not re-enter Scaling",
    from: "Scaling",
    start: () => inState("Scaling"),
    // The first window in Scaling sets the reference; six stable windows after it make 60 s.
    events: (k) => wins(k, 20, RISE),
    expected: [{ to: "Running", trigger: "workload absorbed", atEvent: 6, cause: /stable within ±5 points of 55\.0 %.* for 60 s$/ }],
  },
  {
    name: "utilisation still climbing 8 points a window keeps Scaling",
    from: "Scaling",
    start: () => inState("Scaling"),
    events: (k) => Array.from({ length: 8 }, (_, i) => win(k + i, { cpuUtilMeanPct: 55 + 8 * i })),
    expected: [],
  },
  {
    name: "a steep slope within a stable mean keeps Scaling",
    from: "Scaling",
    start: () => inState("Scaling"),
    events: (k) => wins(k, 10, { ...RISE, cpuUtilSlopePctPerMin: 40 }),
    expected: [],
  },

  // DataStorage
  {
    name: "Running → DataStorage on disk ≥ 150 MB/s (and 3 × baseline) for 20 s",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 2, SURGE),
    expected: [{ to: "DataStorage", trigger: "storage-I/O surge", atEvent: 1, cause: /^disk 200\.0 MB\/s ≥ 150\.0 MB\/s .* for 20 s$/ }],
  },
  {
    name: "140 MB/s is below the absolute surge threshold",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 20, { diskMBpsMean: 140 }),
    expected: [],
  },
  {
    name: "against a busy baseline (80 MB/s) a surge must reach 3 × baseline: 200 MB/s does not, 300 does",
    from: "Running",
    start: () => ({ state: run(initialState(0), [{ type: "birth", atMs: 0, calibrated: true }, ...wins(0, K, { diskMBpsMean: 80 })]).state, k: K }),
    events: (k) => [...wins(k, 5, { diskMBpsMean: 200 }), ...wins(k + 5, 2, { diskMBpsMean: 300 })],
    expected: [{ to: "DataStorage", trigger: "storage-I/O surge", atEvent: 6 }],
  },
  {
    name: "DataStorage → Running once disk stays below 75 MB/s for 60 s",
    from: "DataStorage",
    start: () => inState("DataStorage"),
    events: (k) => wins(k, 6, { diskMBpsMean: 20 }),
    expected: [{ to: "Running", trigger: "storage influx processed", atEvent: 5, cause: /^disk 20\.0 MB\/s below 75\.0 MB\/s .* for 60 s$/ }],
  },
  {
    name: "DataStorage stays between the exit and entry thresholds (100 MB/s)",
    from: "DataStorage",
    start: () => inState("DataStorage"),
    events: (k) => wins(k, 20, { diskMBpsMean: 100 }),
    expected: [],
  },

  // Priority and pre-emption
  {
    name: "hot, surging and scaling at once: Cooling wins",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 2, { ...HOT, ...SURGE, ...RISE }),
    expected: [{ to: "Cooling", trigger: "temperature above band", atEvent: 1 }],
  },
  {
    name: "surging and scaling at once: DataStorage wins",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => wins(k, 2, { ...SURGE, ...RISE }),
    expected: [{ to: "DataStorage", trigger: "storage-I/O surge", atEvent: 1 }],
  },
  {
    name: "a sensor failure beats a hot window",
    from: "Running",
    start: () => inState("Running"),
    events: (k) => [win(k, HOT), win(k + 1, { ...HOT, badRequiredReadings: 2 })],
    expected: [{ to: "Error", trigger: "sensor failure", atEvent: 1 }],
  },
  {
    name: "Scaling is pre-empted by Cooling",
    from: "Scaling",
    start: () => inState("Scaling"),
    events: (k) => wins(k, 2, { ...RISE, ...HOT }),
    expected: [{ to: "Cooling", trigger: "temperature above band", atEvent: 1 }],
  },
  {
    name: "Scaling is pre-empted by DataStorage",
    from: "Scaling",
    start: () => inState("Scaling"),
    events: (k) => wins(k, 2, { ...RISE, ...SURGE }),
    expected: [{ to: "DataStorage", trigger: "storage-I/O surge", atEvent: 1 }],
  },
  {
    name: "DataStorage is pre-empted by Cooling",
    from: "DataStorage",
    start: () => inState("DataStorage"),
    events: (k) => wins(k, 2, { ...SURGE, driveMarginC: -1 }),
    expected: [{ to: "Cooling", trigger: "temperature above band", atEvent: 1 }],
  },
  {
    name: "DataStorage is not pre-empted by Scaling, nor Cooling by DataStorage",
    from: "DataStorage",
    start: () => inState("DataStorage"),
    events: (k) => wins(k, 5, { ...SURGE, ...RISE, cpuUtilMeanPct: 80 }),
    expected: [],
  },
  {
    name: "Cooling is not pre-empted by a surge or a workload increase",
    from: "Cooling",
    start: () => inState("Cooling"),
    events: (k) => wins(k, 10, { ...HOT, ...SURGE, cpuUtilMeanPct: 80 }),
    expected: [],
  },

  // Error, recovery, restart
  {
    name: "Error → Running after 30 s of healthy windows",
    from: "Error",
    start: () => ({ state: run(running(), [win(K, { badRequiredReadings: 1 })]).state, k: K + 1 }),
    events: (k) => wins(k, 3),
    expected: [{ to: "Running", trigger: "fault cleared", atEvent: 2, cause: /^fault cleared \(was sensor: 1 bad required reading\(s\) in window .*\): .* for 30 s$/ }],
  },
  {
    name: "a bad window during recovery restarts the 30 s",
    from: "Error",
    start: () => ({ state: run(running(), [win(K, { badRequiredReadings: 1 })]).state, k: K + 1 }),
    events: (k) => [win(k), win(k + 1), win(k + 2, { modes: ["failsafe"] }), win(k + 3), win(k + 4), win(k + 5)],
    expected: [{ to: "Running", trigger: "fault cleared", atEvent: 5 }],
  },
  {
    name: "a repeated actuator fault restarts recovery",
    from: "Error",
    start: () => ({ state: run(running(), [{ type: "actuatorFault", atMs: (K + 1) * W, detail: "fan1 not following" }]).state, k: K + 1 }),
    events: (k) => [win(k), win(k + 1), { type: "actuatorFault", atMs: (k + 2) * W + 1, detail: "fan1 not following" }, win(k + 2), win(k + 3), win(k + 4)],
    expected: [{ to: "Running", trigger: "fault cleared", atEvent: 5, cause: /was actuator: fan1 not following/ }],
  },
  {
    name: "Error → Setup on a new birth; the first window after it (calibrated) → Running",
    from: "Error",
    start: () => ({ state: run(running(), [{ type: "offline", atMs: (K + 1) * W, reason: "lost" }]).state, k: K + 3 }),
    events: (k) => [{ type: "birth", atMs: k * W, calibrated: true }, win(k)],
    expected: [
      { to: "Setup", trigger: "agent restart", atEvent: 0, cause: /agent restarted/ },
      { to: "Running", trigger: "calibrated birth", atEvent: 1, cause: /first telemetry after a calibrated birth/ },
    ],
  },
  {
    name: "after a restart with an uncalibrated birth, Setup waits",
    from: "Error",
    start: () => ({ state: run(running(), [{ type: "offline", atMs: (K + 1) * W, reason: "lost" }]).state, k: K + 3 }),
    events: (k) => [{ type: "birth", atMs: k * W, calibrated: false }, ...wins(k, 5)],
    expected: [{ to: "Setup", trigger: "agent restart", atEvent: 0 }],
  },
  {
    name: "Error → Setup on a clean shutdown",
    from: "Error",
    start: () => ({ state: run(running(), [win(K, { modes: ["failsafe"] })]).state, k: K + 1 }),
    events: (k) => [{ type: "offline", atMs: k * W, reason: "shutdown" }, ...wins(k, 3)],
    expected: [{ to: "Setup", trigger: "clean shutdown", atEvent: 0 }],
  },
  {
    name: "Error → Decommissioned, and nothing after it changes anything",
    from: "Error",
    start: () => ({ state: run(running(), [win(K, { badRequiredReadings: 3 })]).state, k: K + 1 }),
    events: (k) => [{ type: "decommission", atMs: k * W }, { type: "birth", atMs: k * W + 1, calibrated: true }, ...wins(k, 5)],
    expected: [{ to: "Decommissioned", trigger: "decommission", atEvent: 0 }],
  },
];

describe("host state machine: transitions", () => {
  it.each(CASES)("$name", ({ from, start, events, expected }) => {
    const { state, k } = start();
    expect(state.name).toBe(from);
    const { changes } = run(state, events(k));
    expect(changes.map((c) => ({ to: c.to, trigger: c.trigger, atEvent: c.index }))).toEqual(
      expected.map(({ to, trigger, atEvent }) => ({ to, trigger, atEvent })),
    );
    expected.forEach((e, i) => {
      if (e.cause) expect(changes[i]?.cause).toMatch(e.cause);
    });
  });
});

describe("host state machine: failures, shutdown and decommission from every active state", () => {
  const faults: { name: string; event: (k: number) => HostEvent; trigger: TriggerName; cause: RegExp }[] = [
    { name: "a bad required reading", event: (k) => win(k, { badRequiredReadings: 2 }), trigger: "sensor failure", cause: /^sensor failure: 2 bad required reading\(s\) in window/ },
    { name: "failsafe mode", event: (k) => win(k, { modes: ["local", "failsafe"] }), trigger: "sensor failure", cause: /agent in failsafe mode/ },
    { name: "an actuator fault", event: (k) => ({ type: "actuatorFault", atMs: k * W, detail: "pump rpm 0 at 80 %" }), trigger: "actuator failure", cause: /^actuator failure: pump rpm 0 at 80 %$/ },
    { name: "a lost link", event: (k) => ({ type: "offline", atMs: k * W, reason: "lost" }), trigger: "link failure", cause: /^link failure: agent lost/ },
  ];
  const cases = ACTIVE_STATES.flatMap((from) => faults.map((fault) => ({ from, ...fault })));

  it.each(cases)("$from → Error on $name", ({ from, event, trigger, cause }) => {
    const { state, k } = inState(from);
    const result = transition(state, event(k));
    expect(result.change).toEqual({ from, to: "Error", trigger, cause: expect.stringMatching(cause) as unknown });
    expect(result.state.name).toBe("Error");
    expect(result.state.fault?.kind).toBe(trigger.split(" ")[0]);
  });

  it.each(ACTIVE_STATES)("%s → Setup on a clean shutdown, and Running again on the next calibrated birth", (from) => {
    const { state, k } = inState(from);
    const { changes } = run(state, [
      { type: "offline", atMs: k * W, reason: "shutdown" },
      ...wins(k, 3, HOT),
      { type: "birth", atMs: (k + 4) * W, calibrated: true },
    ]);
    expect(changes.map((c) => [c.from, c.to, c.trigger])).toEqual([
      [from, "Setup", "clean shutdown"],
      ["Setup", "Running", "calibrated birth"],
    ]);
  });

  it.each(["Setup", ...ACTIVE_STATES] as const)("%s → Decommissioned on decommission", (from) => {
    const { state, k } = from === "Setup" ? setup() : inState(from);
    const result = transition(state, { type: "decommission", atMs: k * W });
    expect(result.change).toMatchObject({ from, to: "Decommissioned", trigger: "decommission" });
  });

  it("births in active states change nothing", () => {
    for (const from of ACTIVE_STATES) {
      const { state, k } = inState(from);
      expect(transition(state, { type: "birth", atMs: k * W, calibrated: true }).change).toBeUndefined();
    }
  });
});

describe("host state machine: time and bookkeeping", () => {
  it("sinceMs is the atMs of the event that made the change", () => {
    const { state } = run(running(), wins(K, 2, HOT));
    expect(state).toMatchObject({ name: "Cooling", sinceMs: (K + 2) * W });
  });

  it("does not mutate the state it is given", () => {
    const before = running();
    const snapshot = structuredClone(before);
    transition(before, win(K, { ...HOT, ...SURGE }));
    transition(before, { type: "offline", atMs: 1, reason: "lost" });
    expect(before).toEqual(snapshot);
  });

  it("a sustained surge becomes the new normal: DataStorage ends within 15 minutes, not within 5", () => {
    const { state, k } = inState("DataStorage");
    const { changes } = run(state, wins(k, 90, { diskMBpsMean: 400 }));
    expect(changes).toHaveLength(1);
    const exitIndex = changes[0]?.index ?? -1;
    expect(changes[0]?.trigger).toBe("storage influx processed");
    expect(exitIndex * 10).toBeGreaterThan(300);
    expect(exitIndex * 10).toBeLessThan(900);
  });

  it("honours custom params: a 0 s hold enters Cooling on the first hot window", () => {
    const params = { ...DEFAULT_STATE_MACHINE_PARAMS, coolingEnterHoldS: 0 };
    const { changes } = run(running(), [win(K, HOT)], params);
    expect(changes.map((c) => c.to)).toEqual(["Cooling"]);
  });

  it("holds are evidence time: with 5 s windows a 20 s hold takes four windows", () => {
    const fiveS = (i: number): HostEvent => ({
      type: "features",
      atMs: 100_000 + (i + 1) * 5000,
      features: { ...features(0, HOT), windowStartMs: 100_000 + i * 5000, windowEndMs: 100_000 + (i + 1) * 5000 },
    });
    const { changes } = run(running(), [0, 1, 2, 3].map(fiveS));
    expect(changes.map((c) => c.index)).toEqual([3]);
  });
});

describe("state machine params", () => {
  it("the defaults are consistent", () => {
    expect(stateMachineParamProblems(DEFAULT_STATE_MACHINE_PARAMS)).toEqual([]);
  });

  it.each([
    [{ coolingHysteresisC: -1 }, /coolingHysteresisC must be a finite number ≥ 0/],
    [{ storageExitMBps: 200 }, /storageExitMBps \(200\) must not exceed storageSurgeMBps/],
    [{ storageExitFactor: 4 }, /storageExitFactor \(4\) must not exceed storageSurgeFactor/],
    [{ scalingFlatSlopePctPerMin: 60 }, /scalingFlatSlopePctPerMin \(60\) must be below/],
    [{ utilBaselineTauS: 0 }, /utilBaselineTauS must be > 0/],
    [{ scalingSlopeWindows: 2.5 }, /scalingSlopeWindows must be a whole number/],
  ] as const)("rejects %o", (override, message) => {
    expect(stateMachineParamProblems({ ...DEFAULT_STATE_MACHINE_PARAMS, ...override }).join("\n")).toMatch(message);
  });
});
