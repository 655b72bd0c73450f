import { describe, expect, it } from "vitest";
import { SeqGaps } from "../../src/controller/ingest/seq-gaps.js";

const noteAll = (gaps: SeqGaps, host: string, boot: string, seqs: number[]): void => {
  for (const seq of seqs) gaps.note(host, boot, seq);
};

describe("SeqGaps: telemetry that never arrived, from the sequence numbers", () => {
  it("counts a jump as the messages it skips, and nothing for consecutive ones", () => {
    const gaps = new SeqGaps();
    noteAll(gaps, "h1", "b1", [0, 1, 2]);
    expect(gaps.counts()).toEqual({ gaps: 0, late: 0 });
    expect(gaps.note("h1", "b1", 6)).toEqual({ newlyMissing: 3, late: false });
    expect(gaps.counts()).toEqual({ gaps: 3, late: 0 });
    expect(gaps.missingOf("h1")).toBe(3);
  });

  it("takes a late arrival inside the span off the host's missing, and counts it late once", () => {
    const gaps = new SeqGaps();
    noteAll(gaps, "h1", "b1", [10, 11, 15]);
    expect(gaps.note("h1", "b1", 13)).toEqual({ newlyMissing: 0, late: true });
    expect(gaps.missingOf("h1")).toBe(2);
    expect(gaps.counts()).toEqual({ gaps: 3, late: 1 });
    noteAll(gaps, "h1", "b1", [12, 14]);
    expect(gaps.missingOf("h1")).toBe(0);
    expect(gaps.counts()).toEqual({ gaps: 3, late: 3 });
  });

  it("does not count what came before the first message seen of a boot (the controller started later)", () => {
    const gaps = new SeqGaps();
    noteAll(gaps, "h1", "b1", [500, 501, 499, 498, 502]);
    expect(gaps.counts()).toEqual({ gaps: 0, late: 0 });
  });

  it("starts again at a new boot, and a redelivery from the boot before is no new start", () => {
    const gaps = new SeqGaps();
    noteAll(gaps, "h1", "b1", [0, 1, 2, 3]);
    noteAll(gaps, "h1", "b2", [0, 1]);
    // A QoS 1 redelivery of the old boot's queue after the restart, then the new boot goes on.
    noteAll(gaps, "h1", "b1", [4, 5]);
    noteAll(gaps, "h1", "b2", [2, 3]);
    expect(gaps.counts()).toEqual({ gaps: 0, late: 0 });
    gaps.note("h1", "b2", 5);
    expect(gaps.counts().gaps).toBe(1);
  });

  it("keeps hosts apart, and forgets the oldest host past maxHosts", () => {
    const gaps = new SeqGaps(2);
    noteAll(gaps, "h1", "b", [0, 2]);
    noteAll(gaps, "h2", "b", [0, 3]);
    expect([gaps.missingOf("h1"), gaps.missingOf("h2")]).toEqual([1, 2]);
    noteAll(gaps, "h3", "b", [0]);
    expect(gaps.missingOf("h1")).toBe(0);
    expect(gaps.counts()).toEqual({ gaps: 3, late: 0 });
    // h1 comes back: a new start, not a gap from seq 2.
    gaps.note("h1", "b", 9);
    expect(gaps.counts().gaps).toBe(3);
  });

  it("never counts a message late that was not counted missing", () => {
    const gaps = new SeqGaps();
    noteAll(gaps, "h1", "b1", [0, 1, 2]);
    // Inside the span with nothing missing (a redelivery that left the dedupe window): not late.
    expect(gaps.note("h1", "b1", 1)).toEqual({ newlyMissing: 0, late: false });
    expect(gaps.counts()).toEqual({ gaps: 0, late: 0 });
  });
});
