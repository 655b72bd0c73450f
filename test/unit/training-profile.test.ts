import { describe, expect, it } from "vitest";
import { simSplit } from "../../bench/closed-loop/training-data.js";
import { isCoolfleetError, ErrorCode } from "../../src/core/errors.js";

const SHORT = { hosts: 1, seed: 3, durationS: 120, speedVariants: false, envelopeRuns: 1 } as const;

describe("simulated training data on another machine (model train --sim --profile)", () => {
  it("records the runs on the profile asked for, and says so in what the model was trained on", () => {
    const r740 = simSplit(SHORT);
    const mac = simSplit({ ...SHORT, profileId: "macpro-2019" });
    expect(r740.trainedOn).not.toContain(" on ");
    expect(mac.trainedOn).toMatch(/ on macpro-2019$/);
    // The same workloads, rooms and seeds on another machine: other temperatures.
    expect(mac.train.map((s) => s.source)).toEqual(r740.train.map((s) => s.source));
    const firstCpuC = (d: typeof mac): number[] => d.train.map((s) => s.samples[60]?.cpuC ?? Number.NaN);
    expect(firstCpuC(mac)).not.toEqual(firstCpuC(r740));
    expect(mac.heldOut.length).toBe(r740.heldOut.length);
  });

  it("refuses a machine of the other kind of cooling, before simulating anything", () => {
    let runs = 0;
    try {
      simSplit({ ...SHORT, cooling: "liquid", profileId: "macpro-2019", onRun: () => runs++ });
      expect.unreachable("a Mac trained a liquid model");
    } catch (err) {
      expect(isCoolfleetError(err, ErrorCode.UsageInvalid)).toBe(true);
      expect((err as Error).message).toContain("macpro-2019 is air-cooled: it cannot train the liquid model");
    }
    expect(runs).toBe(0);
  });
});
