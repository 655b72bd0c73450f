import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { collectInventory, type InventoryProbes } from "../../src/hardware/inventory.js";

const never = <T>() => new Promise<T>(() => undefined);

describe("collectInventory", () => {
  it("runs on this Linux box and reports the OS and CPU (real systeminformation)", async () => {
    const inventory = await collectInventory({ timeoutMs: 20_000 });
    expect(inventory["os.platform"]).toBe("linux");
    expect(inventory["os.kernel"]).toMatch(/^\d+\.\d+/);
    expect(inventory["os.distro"]).toEqual(expect.any(String));
    expect(inventory["os.arch"]).toEqual(expect.any(String));
    expect(Number(inventory["cpu.cores"])).toBeGreaterThan(0);
    // In a container or VM the DMI fields may be blank: then they are absent, never empty strings or "-".
    for (const key of ["system.manufacturer", "system.model", "system.serial"]) {
      if (key in inventory) expect(inventory[key]).toMatch(/^(?!-$)\S/);
    }
    expect(Object.values(inventory).every((v) => typeof v === "string" && v.length > 0 && v.length <= 128)).toBe(true);
  });

  it("flattens the probes' fields and leaves out placeholders", async () => {
    const probes: InventoryProbes = {
      system: () => Promise.resolve({ manufacturer: "Dell Inc.", model: "PowerEdge R750", serial: "To Be Filled By O.E.M.", virtual: false }),
      cpu: () => Promise.resolve({ manufacturer: "Intel", brand: "Xeon® Gold 6330", cores: 112, physicalCores: 56, processors: 2 }),
      osInfo: () => Promise.resolve({ platform: "linux", distro: "Rocky Linux", release: "9.4", kernel: "5.14.0-427.el9.x86_64", arch: "x64" }),
    };
    expect(await collectInventory({ probes })).toEqual({
      "system.manufacturer": "Dell Inc.",
      "system.model": "PowerEdge R750",
      "cpu.manufacturer": "Intel",
      "cpu.brand": "Xeon® Gold 6330",
      "cpu.cores": "112",
      "cpu.physicalCores": "56",
      "cpu.sockets": "2",
      "os.platform": "linux",
      "os.distro": "Rocky Linux",
      "os.release": "9.4",
      "os.kernel": "5.14.0-427.el9.x86_64",
      "os.arch": "x64",
    });
  });

  it("keeps what it has when a probe fails or hangs past the timeout", async () => {
    const clock = new ManualClock();
    const probes: InventoryProbes = {
      system: () => never(),
      cpu: () => Promise.reject(new Error("lscpu missing")),
      osInfo: () => Promise.resolve({ platform: "darwin", release: "14.5", kernel: "23.5.0", arch: "x64" }),
    };
    const pending = collectInventory({ probes, clock, timeoutMs: 3000 });
    // Let the probes that answer do so; then the clock reaches the timeout for the one that hangs.
    await new Promise<void>((resolve) => setImmediate(resolve));
    clock.advance(2999);
    await new Promise<void>((resolve) => setImmediate(resolve));
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await pending).toEqual({ "os.platform": "darwin", "os.release": "14.5", "os.kernel": "23.5.0", "os.arch": "x64" });
  });

  it("survives a probe that throws instead of rejecting", async () => {
    const probes: InventoryProbes = {
      system: () => {
        throw new Error("boom");
      },
      cpu: () => Promise.resolve({ brand: "  M2 Ultra  " }),
      osInfo: () => Promise.resolve({}),
    };
    expect(await collectInventory({ probes })).toEqual({ "cpu.brand": "M2 Ultra" });
  });
});
