import { SystemClock, type Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";

/** The systeminformation calls the inventory uses, as a seam for tests. */
export interface InventoryProbes {
  system(): Promise<{ manufacturer?: string; model?: string; serial?: string; virtual?: boolean }>;
  cpu(): Promise<{ manufacturer?: string; brand?: string; cores?: number; physicalCores?: number; processors?: number }>;
  osInfo(): Promise<{ platform?: string; distro?: string; release?: string; kernel?: string; arch?: string }>;
}

export interface CollectInventoryOptions {
  /** Each probe gets this long; systeminformation shells out (dmidecode, lscpu) and can hang. Default 5000. */
  timeoutMs?: number;
  clock?: Clock;
  probes?: InventoryProbes;
  logger?: Logger;
}

// Loaded on first use: systeminformation is large, and only start-up needs it.
const loadSi = async () => (await import("systeminformation")).default;
const systemInformation: InventoryProbes = {
  system: async () => (await loadSi()).system(),
  cpu: async () => (await loadSi()).cpu(),
  osInfo: async () => (await loadSi()).osInfo(),
};

/** What firmware and dmidecode print when a vendor left a field empty; reporting them would mislead. */
const PLACEHOLDERS = new Set(
  ["", "-", "none", "n/a", "not specified", "not applicable", "default string", "to be filled by o.e.m.", "system serial number", "system manufacturer", "system product name", "0123456789", "0"].map((s) =>
    s.toLowerCase(),
  ),
);

/** The birth message's limit on any one value is generous, but a broken DMI table can hold anything. */
const MAX_VALUE_LENGTH = 128;

function put(out: Record<string, string>, key: string, value: string | number | boolean | undefined): void {
  if (value === undefined || value === false) return;
  const text = String(value).trim();
  if (PLACEHOLDERS.has(text.toLowerCase())) return;
  out[key] = text.slice(0, MAX_VALUE_LENGTH);
}

function withTimeout<T>(probe: () => Promise<T>, clock: Clock, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs} ms`)), timeoutMs);
    let started: Promise<T>;
    try {
      started = probe();
    } catch (err) {
      clock.clearTimeout(timer);
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    started.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clock.clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/**
 * Hardware and OS facts for the birth message, flat "area.field" keys (system.model, cpu.brand, os.kernel …).
 * Never throws: a probe that fails or hangs costs its own fields, and empty or placeholder fields are left out.
 */
export async function collectInventory(opts: CollectInventoryOptions = {}): Promise<Record<string, string>> {
  const clock = opts.clock ?? new SystemClock();
  const timeoutMs = opts.timeoutMs ?? 5000;
  const probes = opts.probes ?? systemInformation;
  const [system, cpu, os] = await Promise.allSettled([
    withTimeout(() => probes.system(), clock, timeoutMs, "system"),
    withTimeout(() => probes.cpu(), clock, timeoutMs, "cpu"),
    withTimeout(() => probes.osInfo(), clock, timeoutMs, "osInfo"),
  ]);
  const out: Record<string, string> = {};
  if (system.status === "fulfilled") {
    put(out, "system.manufacturer", system.value.manufacturer);
    put(out, "system.model", system.value.model);
    put(out, "system.serial", system.value.serial);
    put(out, "system.virtual", system.value.virtual);
  }
  if (cpu.status === "fulfilled") {
    put(out, "cpu.manufacturer", cpu.value.manufacturer);
    put(out, "cpu.brand", cpu.value.brand);
    put(out, "cpu.cores", cpu.value.cores);
    put(out, "cpu.physicalCores", cpu.value.physicalCores);
    put(out, "cpu.sockets", cpu.value.processors);
  }
  if (os.status === "fulfilled") {
    put(out, "os.platform", os.value.platform);
    put(out, "os.distro", os.value.distro);
    put(out, "os.release", os.value.release);
    put(out, "os.kernel", os.value.kernel);
    put(out, "os.arch", os.value.arch);
  }
  for (const [what, result] of [["system", system], ["cpu", cpu], ["osInfo", os]] as const) {
    if (result.status === "rejected") opts.logger?.warn({ probe: what, err: result.reason instanceof Error ? result.reason.message : String(result.reason) }, "inventory probe failed");
  }
  return out;
}
