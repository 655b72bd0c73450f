import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tuneBaselines } from "../../bench/closed-loop/baseline-tuning.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { runCli } from "../helpers/cli.js";

/**
 * `coolfleet bench` as a user runs it, on traces of their own: the table on stdout, the JSON with one row per
 * policy × workload × seed, and the plots in the results folder. The baselines' fit is seeded into the results
 * folder from a small grid (fitting them on the training workloads takes minutes), as a previous run would leave it.
 */

const REQUIRED_FIELDS = ["coolingEnergyJ", "totalEnergyJ", "overLimitS", "overLimitKh", "throttleS", "maxOvershootC", "fanTotalVariationPct", "decisionMsP99"] as const;

let dir: string;

function trace(name: string, utilAt: (tS: number) => number): string {
  const rows = ["t_s,cpu_util,disk_mbps,inlet_c"];
  for (let tS = 0; tS <= 180; tS += 10) rows.push(`${tS},${utilAt(tS)},${tS % 40},${24 + tS / 90}`);
  const file = join(dir, name);
  writeFileSync(file, `${rows.join("\n")}\n`);
  return file;
}

async function bench(args: string[]): Promise<{ code: number | null; output: string }> {
  const run = runCli(["bench", ...args, "--model-dir", join(dir, "no-models")]);
  const { code } = await run.exited;
  return { code, output: run.output() };
}

beforeAll(() => {
  dir = scratchDir("coolfleet-bench-cli-");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("coolfleet bench on user traces", () => {
  it("runs only the traces, for every policy and seed: the table, the JSON rows and the plots", async () => {
    const out = join(dir, "results");
    mkdirSync(out);
    writeFileSync(join(out, "baseline-tuning.json"), JSON.stringify(tuneBaselines({ hosts: 1, seed: 1, maxDurationS: 60 }, "poweredge-r740-air")));
    const steps = trace("steps.csv", (tS) => (tS < 90 ? 0.2 : 0.95));
    const ramp = trace("ramp.csv", (tS) => Math.min(1, tS / 180));
    const json = join(dir, "runs.json");
    const { code, output } = await bench(["--trace", steps, "--trace", ramp, "--hosts", "2", "--seeds", "2", "--policies", "fw,b1,b2,mpc", "--json", json, "--out", out]);
    expect(code, output).toBe(0);
    expect(output).toContain("baselines: reusing");
    expect(output).toContain("mpc: no thermal model yet (cold start)");
    for (const policy of ["fw", "b1", "b2", "mpc"]) {
      expect(output).toMatch(new RegExp(`^\\| steps \\| ${policy} \\|`, "m"));
      expect(output).toMatch(new RegExp(`^\\| ramp \\| ${policy} \\|`, "m"));
    }

    const { results } = JSON.parse(readFileSync(json, "utf8")) as { results: Record<string, unknown>[] };
    expect(results).toHaveLength(2 * 2 * 4);
    expect(new Set(results.map((r) => r["workload"]))).toEqual(new Set(["steps", "ramp"])); // no built-in workload ran
    for (const row of results) {
      expect(["fw", "b1", "b2", "mpc"]).toContain(row["policy"]);
      expect([1, 2]).toContain(row["seed"]);
      for (const field of REQUIRED_FIELDS) expect(Number.isFinite(row[field]), `${field} of ${JSON.stringify(row)}`).toBe(true);
      expect(row["coolingEnergyJ"] as number).toBeGreaterThan(0);
      expect(row["totalEnergyJ"] as number).toBeGreaterThan(row["coolingEnergyJ"] as number);
    }
    // With no model, MPC plans every host with its fallback, the stock curve: the same fleet, loads and seeds give B1's joules.
    const energy = (policy: string, workload: string, seed: number) => results.find((r) => r["policy"] === policy && r["workload"] === workload && r["seed"] === seed)?.["coolingEnergyJ"];
    for (const workload of ["steps", "ramp"]) for (const seed of [1, 2]) expect(energy("mpc", workload, seed)).toBe(energy("b1", workload, seed));
    // fw is the firmware's own curve (on the hottest CPU only, no drive zone), not B1's; nothing is planned for it.
    for (const workload of ["steps", "ramp"]) for (const seed of [1, 2]) expect(energy("fw", workload, seed)).not.toBe(energy("b1", workload, seed));
    for (const row of results.filter((r) => r["policy"] === "fw")) expect(row["decisionMsP99"]).toBe(0);
    // The ramp's load rises to full: a different workload from the steps, measured apart.
    expect(energy("b1", "ramp", 1)).not.toBe(energy("b1", "steps", 1));

    for (const plot of ["energy-vs-violations.svg", "trace-steps.svg", "trace-ramp.svg"]) {
      expect(readFileSync(join(out, plot), "utf8")).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    }
  });

  it("a bad trace is reported at once, before any baseline is fitted", async () => {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "t_s,cpu_util,disk_mbps,inlet_c\n0,0.5,10,25\n10,abc,10,25\n");
    const out = join(dir, "fresh-results");
    const { code, output } = await bench(["--trace", bad, "--hosts", "1", "--seeds", "1", "--out", out]);
    expect(code).toBe(2);
    expect(output).toContain('trace "bad" line 3, column cpu_util: "abc" is not a number');
    expect(output).not.toContain("baselines:");
    expect(existsSync(join(out, "baseline-tuning.json"))).toBe(false);
  });

  it("two traces with the same file name are refused: they would be one workload", async () => {
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    const first = trace("a/day.csv", () => 0.5);
    const second = trace("b/day.csv", () => 0.9);
    const { code, output } = await bench(["--trace", first, "--trace", second, "--out", join(dir, "dup-results")]);
    expect(code).toBe(2);
    expect(output).toContain(`--trace ${first} and --trace ${second} would both be workload "day"`);
  });
});
