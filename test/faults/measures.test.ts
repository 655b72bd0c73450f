import { rmSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SimFleet } from "../../firmware-sim/index.js";
import type { SimSnapshot } from "../../firmware-sim/physics/types.js";
import { ManualClock } from "../../src/core/clock.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import type { Ack, Command, Telemetry } from "../../src/protocol/index.js";
import { formatFaultTable, type FaultRow } from "./fault-table.js";
import { OverLimitMeter, staleCommandsApplied } from "./measures.js";

/** The fault table's measures must be able to say "not zero": each is checked here against a known answer. */
const T0 = 1_700_000_000_000;

function cmd(seq: number, issuedAt: number, ttlMs = 5000): Command {
  return { v: 1, id: `c${seq}`, host: "h", seq, issuedAt, expiresAt: issuedAt + ttlMs, setpoints: { fanPct: 50 } };
}

function ack(cmdId: string, status: Ack["status"]): Ack {
  return { v: 1, host: "h", boot: "boot-0001", cmdId, seq: 0, status, ts: T0 };
}

function telemetry(seq: number, ts: number, cmdSeq?: number): Telemetry {
  return { v: 1, host: "h", boot: "boot-0001", seq, ts, periodMs: 1000, mode: "remote", outputs: { fanPct: 50 }, dropped: 0, readings: [], ...(cmdSeq !== undefined ? { cmdSeq } : {}) };
}

describe("fault measures", () => {
  it("counts a stale command applied, a command applied twice, and one in force past its expiry, once each", () => {
    const sent = [cmd(1, T0), cmd(2, T0 - 20_000), cmd(3, T0 + 1000)];
    const result = staleCommandsApplied({
      acks: [ack("c1", "applied"), ack("c2", "applied"), ack("c3", "applied"), ack("c3", "applied"), ack("c1", "rejected")],
      telemetry: [telemetry(0, T0 + 1000, 1), telemetry(1, T0 + 5000, 1), telemetry(1, T0 + 5000, 1)],
      sent,
      mustNotApply: new Set(["c2"]),
      trueTimeOf: (t) => t.ts,
    });
    expect(result.count).toBe(3);
    expect(result.why).toEqual(["c2 applied (stale or replayed)", "c3 applied 2 times", "seq 1: command c1 in force 0 ms past its expiresAt"]);
  });

  it("counts nothing when every command was applied once, fresh, and only within its lease", () => {
    const result = staleCommandsApplied({
      acks: [ack("c1", "applied"), ack("c2", "expired"), ack("c1", "rejected")],
      telemetry: [telemetry(0, T0 + 1000, 1), telemetry(1, T0 + 4999, 1), telemetry(2, T0 + 6000)],
      sent: [cmd(1, T0), cmd(2, T0 - 20_000)],
      mustNotApply: new Set(["c2"]),
      trueTimeOf: (t) => t.ts,
    });
    expect(result).toEqual({ count: 0, why: [] });
  });

  it("adds up the seconds a die is at Tj max or a drive at its limit", () => {
    const root = scratchDir("coolfleet-measures-");
    const fleet = new SimFleet({ hosts: 1, root, seed: 1, clock: new ManualClock(), profiles: ["poweredge-r740-air"] });
    fleet.stepAll(1);
    const snap = fleet.host(fleet.hostIds[0]!).snapshot();
    rmSync(root, { recursive: true, force: true });
    const meter = new OverLimitMeter("poweredge-r740-air");
    meter.sample(snap, 1);
    expect(meter.overLimitS).toBe(0);
    const hotDie: SimSnapshot = { ...snap, sockets: snap.sockets.map((s, i) => (i === 0 ? { ...s, dieC: snap.tjMaxC } : s)) };
    meter.sample(hotDie, 0.5);
    const hotDrive: SimSnapshot = { ...snap, drives: snap.drives.map((d, i) => (i === 0 ? { ...d, tempC: 50 } : d)) };
    meter.sample(hotDrive, 0.25);
    expect(meter.overLimitS).toBe(0.75);
  });

  it("prints one line per row with a header, misses marked", () => {
    const row: FaultRow = { family: "sensor", fault: "x", telemetryLost: 2, overLimitS: 0, staleCommandsApplied: 1, detectS: 0.25, detectPeriods: 1, recoverS: null, targets: "lost 0", met: false, notes: "n" };
    const lines = formatFaultTable([row]).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/^x\s+2\s+0\.0\s+1\s+0\.25 \(1\)\s+–\s+MISSED\s+n$/);
  });
});
