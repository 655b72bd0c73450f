import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

async function usageError(args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = runCli(args);
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

describe("coolfleet model train: the envelope runs option", () => {
  it("belongs to simulated training: with --store it is refused and says why", async () => {
    const { code, output } = await usageError(["model", "train", "--store", "/nonexistent/telemetry.db", "--envelope-runs", "2"]);
    expect(code).toBe(2);
    expect(output).toContain("--envelope-runs adds simulated runs: it goes with --sim");
  });

  it.each([["-1"], ["2.5"], ["many"], ["101"]])("refuses %s runs with the option named", async (runs) => {
    const { code, output } = await usageError(["model", "train", "--sim", "--out", "/nonexistent/registry", "--envelope-runs", runs]);
    expect(code).toBe(2);
    expect(output).toContain("--envelope-runs");
  });
});

describe("coolfleet model train: the simulated machine", () => {
  it("belongs to simulated training: with --store it is refused and says why", async () => {
    const { code, output } = await usageError(["model", "train", "--store", "/nonexistent/telemetry.db", "--profile", "macpro-2019"]);
    expect(code).toBe(2);
    expect(output).toContain("--profile chooses the simulated machine: it goes with --sim");
  });

  it("names the known profiles when given an unknown one", async () => {
    const { code, output } = await usageError(["model", "train", "--sim", "--out", "/nonexistent/registry", "--profile", "r940"]);
    expect(code).toBe(2);
    expect(output).toContain("known profiles: macpro-2019, poweredge-r740-air, poweredge-r750-liquid");
  });
});
