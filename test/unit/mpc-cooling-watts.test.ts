import { describe, expect, it } from "vitest";
import { coolingWattsOf, fanPowerW, pumpPowerW } from "../../src/controller/planner/policy-mpc-choice.js";
import { MPC_DEFAULT_ENERGY } from "../../src/controller/planner/policy-mpc.js";

describe("the candidates' cooling watts, computed once per candidate set", () => {
  const fans = [20, 50, 100];
  const pumps = [30, 60, 100];

  it("is fan plus pump power by the cube law for each candidate pair, fans alone without pumps", () => {
    const paired = coolingWattsOf(fans, pumps, MPC_DEFAULT_ENERGY);
    fans.forEach((pct, k) => expect(paired[k]).toBe(fanPowerW(MPC_DEFAULT_ENERGY, pct) + pumpPowerW(MPC_DEFAULT_ENERGY, pumps[k])));
    expect(paired[2]).toBeCloseTo(72 + 18, 10);
    const airOnly = coolingWattsOf(fans, undefined, MPC_DEFAULT_ENERGY);
    expect([...airOnly]).toEqual(fans.map((pct) => fanPowerW(MPC_DEFAULT_ENERGY, pct)));
  });

  it("returns the same table for the same arrays and energy model, and recomputes for another energy model or candidate set", () => {
    const first = coolingWattsOf(fans, pumps, MPC_DEFAULT_ENERGY);
    expect(coolingWattsOf(fans, pumps, MPC_DEFAULT_ENERGY)).toBe(first);
    const louder = { ...MPC_DEFAULT_ENERGY, fanMaxPowerW: 144 };
    expect(coolingWattsOf(fans, pumps, louder)[2]).toBeCloseTo(144 + 18, 10);
    expect(coolingWattsOf([...fans], pumps, MPC_DEFAULT_ENERGY)).not.toBe(first);
    expect(coolingWattsOf(fans, [...pumps].reverse(), MPC_DEFAULT_ENERGY)[0]).toBeCloseTo(fanPowerW(MPC_DEFAULT_ENERGY, 20) + 18, 10);
  });
});
