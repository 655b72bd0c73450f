import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { runCli, waitFor } from "../helpers/cli.js";

const dir = scratchDir("coolfleet-sim-proc-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("coolfleet sim as a process", () => {
  it("runs a mixed fleet with one sysfs/procfs tree per host, and stops on SIGINT", async () => {
    const sim = runCli(["sim", "--hosts", "3", "--root", dir, "--seed", "4", "--profile", "poweredge-r740-air,poweredge-r750-liquid,macpro-2019", "--speed", "5", "--log-level", "warn"]);
    try {
      await waitFor("three host trees", () => ["sim-000", "sim-001", "sim-002"].every((h) => existsSync(join(dir, h, "proc/stat"))), 15_000);
      const statAt = () => readFileSync(join(dir, "sim-000/proc/stat"), "utf8").split("\n")[0];
      const first = statAt();
      await waitFor("the CPU counters to move", () => statAt() !== first);
      const names = (host: string) => readdirSync(join(dir, host, "sys/class/hwmon")).map((h) => readFileSync(join(dir, host, "sys/class/hwmon", h, "name"), "utf8").trim());
      expect(names("sim-001")).toContain("d5next");
      expect(names("sim-002")).toContain("applesmc");
      expect(sim.output()).toMatch(/sim-000.*poweredge-r740-air/);
      sim.child.kill("SIGINT");
      expect((await sim.exited).code).toBe(0);
    } finally {
      sim.child.kill("SIGKILL");
    }
  });

  it("refuses bad arguments with a message naming the option", async () => {
    const sim = runCli(["sim", "--hosts", "0", "--root", dir, "--seed", "1"]);
    expect((await sim.exited).code).toBe(2);
    expect(sim.output()).toMatch(/hosts/);
  });
});
