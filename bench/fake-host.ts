import { PROTOCOL_VERSION, type HostBirth, type Telemetry } from "../src/protocol/index.js";

/** A light simulated host for load tests: a realistic birth and telemetry, without physics or an agent. */
export class FakeHost {
  private seq = 0;
  readonly boot: string;

  constructor(
    readonly hostId: string,
    private readonly index: number,
  ) {
    this.boot = `bench-${index.toString(16).padStart(8, "0")}`;
  }

  birth(nowMs: number): HostBirth {
    const temps = ["coretemp.0:Package id 0", "coretemp.1:Package id 1"].map((id) => ({ id, kind: "temperature" as const, unit: "C" as const, role: "cpu" as const, targetC: 90, criticalC: 97, required: true }));
    return {
      v: PROTOCOL_VERSION,
      host: this.hostId,
      boot: this.boot,
      online: true,
      ts: nowMs,
      agentVersion: "bench",
      periodMs: 1000,
      sensors: [...temps, ...Array.from({ length: 6 }, (_, i) => ({ id: `nct6798:fan${i + 1}`, kind: "fan" as const, unit: "rpm" as const }))],
      capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100 }, maxLeaseMs: 30_000 },
    };
  }

  /** About the size of a real PowerEdge agent's telemetry (~2.5 KB). */
  telemetry(nowMs: number): Telemetry {
    const seq = this.seq++;
    const wave = Math.sin((seq + this.index) / 7);
    const readings: Telemetry["readings"] = [];
    for (let s = 0; s < 2; s++) {
      readings.push({ id: `coretemp.${s}:Package id ${s}`, kind: "temperature", value: Math.round(70 + 12 * wave + s), unit: "C", quality: "ok" });
      for (let c = 0; c < 4; c++) readings.push({ id: `coretemp.${s}:Core ${c}`, kind: "temperature", value: Math.round(68 + 12 * wave), unit: "C", quality: "ok" });
    }
    for (let f = 1; f <= 6; f++) readings.push({ id: `nct6798:fan${f}`, kind: "fan", value: 7000 + f, unit: "rpm", quality: "ok" });
    readings.push({ id: "cpu:util", kind: "load", value: 50 + 40 * wave, unit: "pct", quality: "ok" });
    readings.push({ id: "disk:total", kind: "disk", value: 20, unit: "MBps", quality: "ok" });
    readings.push({ id: "power_meter:power1", kind: "power", value: 420, unit: "W", quality: "ok" });
    return { v: PROTOCOL_VERSION, host: this.hostId, boot: this.boot, seq, ts: nowMs, periodMs: 1000, mode: "local", outputs: { fanPct: 45 }, dropped: 0, readings };
  }
}
