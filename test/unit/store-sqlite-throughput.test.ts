import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteTelemetryStore } from "../../src/controller/store/sqlite-telemetry-store.js";
import type { Telemetry } from "../../src/protocol/index.js";
import { birth, reading, telemetry } from "../contract/store-contract.js";

/**
 * A measurement, not a test of speed: it prints the insert rate (the design asks ≥ 20k rows/s in 500-row
 * transactions) and asserts only that every row arrived. COOLFLEET_STORE_BENCH_ROWS raises the row count.
 */
const ROWS = Number(process.env.COOLFLEET_STORE_BENCH_ROWS ?? 50_000);
const BATCH = 500;
const HOSTS = 50;

const dir = mkdtempSync(join(tmpdir(), "coolfleet-store-bench-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A PowerEdge-sized message: 16 readings, ~1.2 KB of JSON. */
function realisticTelemetry(i: number): Telemetry {
  const host = `r740-${String(i % HOSTS).padStart(3, "0")}`;
  const seq = Math.floor(i / HOSTS);
  return telemetry(host, seq, {
    outputs: { fanPct: 35 + (seq % 30), pumpPct: 40 },
    readings: [
      reading("cpu0", "temperature", 55 + (seq % 20)),
      reading("cpu1", "temperature", 53 + (seq % 18)),
      reading("nvme0", "temperature", 41),
      reading("inlet", "temperature", 23.5),
      ...Array.from({ length: 6 }, (_, f) => reading(`nct6798:fan${f + 1}`, "fan", 6000 + f * 100)),
      reading("cpu:util", "load", seq % 100),
      reading("disk:total", "disk", 12.5),
      reading("power_meter:power1", "power", 310),
      reading("drivetemp.0:0:0:0:temp1", "temperature", null, "missing"),
      reading("pump1", "pump", 2400),
      reading("flow1", "flow", 1.8),
    ],
  });
}

describe("SqliteTelemetryStore throughput", () => {
  it(`stores ${ROWS} realistic messages in ${BATCH}-row transactions and prints the rate`, async () => {
    const store = new SqliteTelemetryStore(join(dir, "bench.db"));
    for (let h = 0; h < HOSTS; h++) await store.upsertHost(birth(`r740-${String(h).padStart(3, "0")}`));
    const messages = Array.from({ length: ROWS }, (_, i) => realisticTelemetry(i));
    const startMs = performance.now();
    let inserted = 0;
    for (let i = 0; i < ROWS; i += BATCH) inserted += (await store.appendTelemetry(messages.slice(i, i + BATCH))).inserted;
    const elapsedMs = performance.now() - startMs;
    const rollStartMs = performance.now();
    const rolled = await store.rollUp(60_000, Number.MAX_SAFE_INTEGER - 1);
    const rollMs = performance.now() - rollStartMs;
    console.log(
      `[store bench] ${inserted} rows in ${elapsedMs.toFixed(0)} ms = ${Math.round((inserted / elapsedMs) * 1000)} rows/s ` +
        `(${BATCH}-row transactions, file DB, WAL, synchronous=NORMAL); roll-up of ${rolled.samples} rows into ` +
        `${rolled.buckets} buckets in ${rollMs.toFixed(0)} ms`,
    );
    expect(inserted).toBe(ROWS);
    expect(await store.countTelemetry()).toBe(ROWS);
    await store.close();
  });
});
