import {
  ACK_STATUSES,
  CAPABILITY_TIERS,
  CONTROL_MODES,
  READING_KINDS,
  READING_QUALITIES,
  READING_UNITS,
  type Ack,
  type Command,
  type HostState,
  type Telemetry,
} from "../../src/protocol/index.js";
import { deepJsonText, mutateBytes, mutateJson, randomJson, textTweak, type FuzzRng, type Json } from "./mutator.js";

/** Valid protocol messages with seeded variety: the seeds the mutators start from. */
export type MessageKind = "telemetry" | "state" | "cmd" | "ack";

export const T0 = 1_700_000_000_000;

export function validTelemetry(rng: FuzzRng, host: string, seq: number): Telemetry {
  const readings = Array.from({ length: rng.int(8) }, (_, i) => ({
    id: `chip:temp${i}`,
    kind: rng.pick(READING_KINDS),
    value: rng.chance(0.1) ? null : Math.round(rng.next() * 10_000) / 100,
    unit: rng.pick(READING_UNITS),
    quality: rng.pick(READING_QUALITIES),
  }));
  return {
    v: 1,
    host,
    boot: `boot-${rng.int(4)}-abcdef`,
    seq,
    ts: T0 + seq * 1000,
    periodMs: 1000,
    mode: rng.pick(CONTROL_MODES),
    outputs: rng.chance(0.5) ? { fanPct: rng.int(101) } : { fanPct: rng.int(101), pumpPct: rng.int(101) },
    ...(rng.chance(0.5) ? { cmdSeq: rng.int(1000) } : {}),
    dropped: rng.int(3),
    ...(rng.chance(0.3) ? { tiers: { fans: rng.pick(CAPABILITY_TIERS) } } : {}),
    readings,
  };
}

export function validHostState(rng: FuzzRng, host: string): HostState {
  const boot = `boot-${rng.int(4)}-abcdef`;
  const ts = T0 + rng.int(1_000_000);
  if (rng.chance(0.3)) return { v: 1, host, boot, online: false, ts, reason: rng.pick(["shutdown", "lost"] as const) };
  return {
    v: 1,
    host,
    boot,
    online: true,
    ts,
    agentVersion: "0.1.0",
    periodMs: 1000,
    sensors: Array.from({ length: rng.int(5) }, (_, i) => ({
      id: `chip:temp${i}`,
      kind: "temperature" as const,
      unit: "C" as const,
      ...(rng.chance(0.5) ? { role: "cpu" as const, targetC: 80, criticalC: 95, required: true } : {}),
    })),
    capabilities: {
      fans: {
        channels: rng.range(1, 6),
        tier: rng.pick(CAPABILITY_TIERS),
        minPct: 20,
        maxPct: 100,
        ...(rng.chance(0.5) ? { roles: ["cpu" as const, "drive" as const] } : {}),
        ...(rng.chance(0.5) ? { maxPowerW: rng.range(1, 200) } : {}),
      },
      maxLeaseMs: 30_000,
      ...(rng.chance(0.5) ? { cpuLeakage: { at85W: rng.range(1, 100), doublingK: 19 } } : {}),
    },
    ...(rng.chance(0.3) ? { inventory: { model: "R740", bios: "2.1" } } : {}),
  };
}

export function validCommand(rng: FuzzRng, host: string, seq: number, nowMs = T0): Command {
  const issuedAt = nowMs - rng.int(2000);
  return {
    v: 1,
    id: `cmd-${seq}-${rng.int(1_000_000)}`,
    host,
    seq,
    issuedAt,
    expiresAt: issuedAt + rng.range(1, 20_000),
    setpoints: rng.chance(0.6) ? { fanPct: rng.int(101) } : rng.chance(0.5) ? { pumpPct: rng.int(101) } : { fanPct: rng.int(101), pumpPct: rng.int(101) },
  };
}

export function validAck(rng: FuzzRng, host: string, seq: number): Ack {
  return {
    v: 1,
    host,
    boot: `boot-${rng.int(4)}-abcdef`,
    cmdId: `cmd-${seq}`,
    seq,
    status: rng.pick(ACK_STATUSES),
    ...(rng.chance(0.4) ? { reason: "x".repeat(rng.int(40)) } : {}),
    ts: T0 + seq,
    ...(rng.chance(0.3) ? { applied: { fanPct: rng.int(101) } } : {}),
  };
}

export function validMessage(rng: FuzzRng, kind: MessageKind, host: string, seq: number): Telemetry | HostState | Command | Ack {
  switch (kind) {
    case "telemetry":
      return validTelemetry(rng, host, seq);
    case "state":
      return validHostState(rng, host);
    case "cmd":
      return validCommand(rng, host, seq);
    case "ack":
      return validAck(rng, host, seq);
  }
}

/** One payload derived from a valid seed: unchanged, structurally mutated, byte-mutated, tweaked text or random JSON. */
export function fuzzPayload(rng: FuzzRng, seed: Json, donor: Json): Buffer | string {
  const text = JSON.stringify(seed);
  let out: Buffer | string;
  const mode = rng.int(100);
  if (mode < 8) out = text;
  else if (mode < 45) out = JSON.stringify(mutateJson(rng, seed));
  else if (mode < 75) out = mutateBytes(rng, Buffer.from(text), 4, Buffer.from(JSON.stringify(donor)));
  else if (mode < 88) out = textTweak(rng, rng.chance(0.5) ? text : JSON.stringify(mutateJson(rng, seed, 1)));
  else if (mode < 98) out = JSON.stringify(randomJson(rng, 5));
  else if (mode < 99) out = deepJsonText(rng);
  else out = rng.chance(0.5) ? Buffer.alloc(0) : `{"v":1,"pad":"${"x".repeat(70_000)}"}`;
  return rng.chance(0.5) && typeof out === "string" ? Buffer.from(out) : out;
}
