import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { NetFn, SimulatedBmc } from "../../firmware-sim/bmc/index.js";
import { SimHost, loadProfile } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { IpmitoolRunner, IpmitoolSession, parseSdrTypeOutput, SdrCache, type IpmitoolTarget } from "../../src/hardware/ipmi/index.js";
import { ipmitoolBuild } from "../helpers/ipmitool-builds.js";

/**
 * The SDR cache with the real ipmitool against the simulated iDRAC: a one-shot `sdr dump`, sessions opened on it
 * with -S, and the repository's stamp checked as each session starts. The BMC counts the Get SDR requests it
 * answers, so "no walk" is the BMC's word.
 */

const PASSWORD = "s3cret-pw";
const GET_SDR = 0x23;
const GET_SDR_REPOSITORY_INFO = 0x20;
const LOAD = { cpuUtil: 0.7, diskMBps: 0, inletC: 25 };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBmc(): Promise<{ bmc: SimulatedBmc; target: IpmitoolTarget }> {
  const host = new SimHost({ hostId: "r740-sdr-cache", profile: loadProfile("poweredge-r740-air"), seed: 11 });
  const bmc = new SimulatedBmc({ host, clock: new ManualClock(), password: PASSWORD });
  for (let i = 0; i < 30; i++) bmc.step(1, LOAD);
  const { port } = await bmc.start();
  cleanups.push(() => bmc.stop());
  return { bmc, target: { interface: "lanplus", host: "127.0.0.1", port, username: "root", password: PASSWORD } };
}

/** A sensor session renewed before every command (maxAgeMs 0), with or without an SDR cache. */
function renewingSession(target: IpmitoolTarget, cache: SdrCache | undefined, ipmitoolPath?: string): IpmitoolSession {
  const s = new IpmitoolSession({ target, timeoutMs: 10_000, maxAgeMs: 0, ...(cache ? { sdrCache: cache } : {}), ...(ipmitoolPath ? { ipmitoolPath } : {}) });
  cleanups.push(() => s.close());
  return s;
}

function cache(target: IpmitoolTarget): SdrCache {
  const c = new SdrCache({ dumpRunner: new IpmitoolRunner({ target, timeoutMs: 10_000 }) });
  cleanups.push(() => c.dispose());
  return c;
}

const listing = (stdout: string): string[] => parseSdrTypeOutput(stdout).lines.map((l) => `${l.name}@${l.entity}=${l.value}`);

describe("SDR cache against the simulated BMC", () => {
  it("new sessions read the SDR from one dump instead of walking the repository, and list the same sensors", async () => {
    const { bmc, target } = await startBmc();
    const oneShot = new IpmitoolRunner({ target, timeoutMs: 10_000 });
    const expected = { temperature: listing((await oneShot.run(["sdr", "type", "temperature"])).stdout), fan: listing((await oneShot.run(["sdr", "type", "fan"])).stdout) };
    expect(expected.temperature).toHaveLength(4);
    const oneWalk = bmc.requestCount(NetFn.Storage, GET_SDR) / 2;
    expect(oneWalk).toBeGreaterThanOrEqual(10); // at least one Get SDR per record

    // Without the cache, every session walks as it opens.
    const walking = renewingSession(target, undefined);
    let before = bmc.requestCount(NetFn.Storage, GET_SDR);
    for (let round = 0; round < 3; round++) expect(listing((await walking.run(["sdr", "type", "temperature"])).stdout)).toEqual(expected.temperature);
    expect(bmc.requestCount(NetFn.Storage, GET_SDR) - before).toBe(3 * oneWalk);
    await walking.close();

    // With it: one walk in all (the dump), then none, however many sessions open.
    const c = cache(target);
    const cached = renewingSession(target, c);
    before = bmc.requestCount(NetFn.Storage, GET_SDR);
    const infoBefore = bmc.requestCount(NetFn.Storage, GET_SDR_REPOSITORY_INFO);
    for (let round = 0; round < 3; round++) {
      for (const kind of ["temperature", "fan"] as const) {
        const outcome = await cached.run(["sdr", "type", kind]);
        expect(outcome).toMatchObject({ ok: true, stderr: "" });
        expect(listing(outcome.stdout)).toEqual(expected[kind]);
      }
    }
    expect(bmc.requestCount(NetFn.Storage, GET_SDR) - before).toBe(oneWalk);
    expect(c.off).toBeUndefined();
    // Seven sessions: the first, reopened on the dump once it existed, and one per later command. Six of them asked
    // the stamp (the reopened one was opened on the stamp just asked); the dump asked once more, as ipmitool's walk does.
    expect(cached.opened).toBe(7);
    expect(bmc.requestCount(NetFn.Storage, GET_SDR_REPOSITORY_INFO) - infoBefore).toBe(6 + 1);
  });

  it("a sensor renamed in the SDR (a firmware update) shows in the next session: the changed stamp brings a new dump", async () => {
    const { bmc, target } = await startBmc();
    const c = cache(target);
    const s = renewingSession(target, c);
    expect(listing((await s.run(["sdr", "type", "temperature"])).stdout)[0]).toMatch(/^Exhaust Temp@7\.1=/);
    const stamp = c.sessionOptions().stamp;

    bmc.renameSensor(0x01, "System Exhaust");
    const walksBefore = bmc.requestCount(NetFn.Storage, GET_SDR);
    const after = listing((await s.run(["sdr", "type", "temperature"])).stdout);
    expect(after[0]).toMatch(/^System Exhaust@7\.1=/);
    expect(after).toHaveLength(4);
    expect(c.sessionOptions().stamp).not.toBe(stamp);
    expect(bmc.requestCount(NetFn.Storage, GET_SDR) - walksBefore).toBeGreaterThanOrEqual(10); // the new dump
    // And no more walks after it.
    const walksAfter = bmc.requestCount(NetFn.Storage, GET_SDR);
    expect(listing((await s.run(["sdr", "type", "temperature"])).stdout)[0]).toMatch(/^System Exhaust/);
    expect(bmc.requestCount(NetFn.Storage, GET_SDR)).toBe(walksAfter);
  });

  it("works the same through ipmitool shell sessions (builds whose exec refuses a pipe)", async () => {
    const { bmc, target } = await startBmc();
    const build = ipmitoolBuild({ exec: true });
    cleanups.push(() => rmSync(build.dir, { recursive: true, force: true }));
    const c = new SdrCache({ dumpRunner: new IpmitoolRunner({ target, timeoutMs: 10_000, ipmitoolPath: build.path }) });
    cleanups.push(() => c.dispose());
    const expected = listing((await new IpmitoolRunner({ target, timeoutMs: 10_000 }).run(["sdr", "type", "temperature"])).stdout);
    const oneWalk = bmc.requestCount(NetFn.Storage, GET_SDR);
    const s = renewingSession(target, c, build.path);
    for (let round = 0; round < 3; round++) expect(listing((await s.run(["sdr", "type", "temperature"])).stdout)).toEqual(expected);
    expect(s.feeding).toBe("shell");
    expect(c.off).toBeUndefined();
    // The dump's walk, and none in the three shell sessions opened on it.
    expect(bmc.requestCount(NetFn.Storage, GET_SDR) - oneWalk).toBe(oneWalk);
  });

  it("a dump that cannot be written leaves the sessions walking, and the listings right", async () => {
    const { bmc, target } = await startBmc();
    const c = new SdrCache({ dumpRunner: new IpmitoolRunner({ target, timeoutMs: 10_000 }), dir: "/proc/coolfleet-no-such-dir" });
    const s = renewingSession(target, c);
    const before = bmc.requestCount(NetFn.Storage, GET_SDR);
    for (let round = 0; round < 2; round++) expect(listing((await s.run(["sdr", "type", "temperature"])).stdout)).toHaveLength(4);
    expect(c.off).toMatch(/sdr dump failed/);
    expect(bmc.requestCount(NetFn.Storage, GET_SDR) - before).toBeGreaterThanOrEqual(20); // each session walked
  });
});
