import { describe, expect, it } from "vitest";
import { RecentKeys, telemetryKey } from "../../src/controller/ingest/recent-keys.js";

describe("RecentKeys", () => {
  it("remembers up to capacity keys and forgets the oldest first", () => {
    const recent = new RecentKeys(3);
    for (const k of ["a", "b", "c"]) recent.add(k);
    expect(["a", "b", "c"].map((k) => recent.has(k))).toEqual([true, true, true]);
    recent.add("d");
    expect(["a", "b", "c", "d"].map((k) => recent.has(k))).toEqual([false, true, true, true]);
    expect(recent.size).toBe(3);
  });

  it("refuses a capacity that cannot hold a key", () => {
    expect(() => new RecentKeys(0)).toThrow(/positive integer/);
  });
});

describe("telemetryKey", () => {
  it("cannot confuse two different (host, boot, seq) triples", () => {
    const keys = [
      telemetryKey("h1", "boot 1", 2),
      telemetryKey("h1", "boot", 12),
      telemetryKey("h1", "1 boot", 2),
      telemetryKey("h11", "boot", 2),
      telemetryKey("h1", "1boot", 2),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
