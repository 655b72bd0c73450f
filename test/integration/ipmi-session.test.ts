import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedBmc } from "../../firmware-sim/bmc/index.js";
import { SimHost, loadProfile } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/logger.js";
import { IpmiSensorSource, IpmitoolRunner, IpmitoolSession, parseSdrTypeOutput, type IpmitoolSessionOptions, type IpmitoolTarget } from "../../src/hardware/ipmi/index.js";
import { ipmitoolBuild as buildIpmitool } from "../helpers/ipmitool-builds.js";
import { ipmitoolProcessesFor } from "../helpers/processes.js";
import { startUdpRelay, type UdpRelay } from "../helpers/udp-relay.js";

/**
 * IpmitoolSession: the real ipmitool, kept running (`exec /dev/stdin`), against the simulated iDRAC on loopback UDP.
 * The BMC counts the RMCP+ sessions it holds, so "one session for many commands" is the BMC's word, not ours.
 */

const LOAD = { cpuUtil: 0.7, diskMBps: 0, inletC: 25 };
const PASSWORD = "s3cret-pw";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startBmc(quirks: { misreportConsoleId?: boolean } = {}): Promise<{ bmc: SimulatedBmc; port: number; target: IpmitoolTarget }> {
  const host = new SimHost({ hostId: "r740-session", profile: loadProfile("poweredge-r740-air"), seed: 7 });
  const bmc = new SimulatedBmc({ host, clock: new ManualClock(), password: PASSWORD, ...quirks });
  for (let i = 0; i < 60; i++) bmc.step(1, LOAD);
  const { port } = await bmc.start();
  cleanups.push(() => bmc.stop());
  return { bmc, port, target: { interface: "lanplus", host: "127.0.0.1", port, username: "root", password: PASSWORD } };
}

/** A BMC reached through a UDP relay that can go silent, and a session talking to it through the relay. */
async function sessionThroughRelay(timeoutMs: number): Promise<{ relay: UdpRelay; s: IpmitoolSession }> {
  const { port } = await startBmc();
  const relay = await startUdpRelay(port);
  cleanups.push(() => relay.close());
  const s = session({ target: { interface: "lanplus", host: "127.0.0.1", port: relay.port, username: "root", password: PASSWORD }, timeoutMs });
  return { relay, s };
}

function session(opts: IpmitoolSessionOptions): IpmitoolSession {
  const s = new IpmitoolSession(opts);
  cleanups.push(() => s.close());
  return s;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, ok: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function values(stdout: string): string[] {
  return parseSdrTypeOutput(stdout).lines.map((l) => `${l.name}@${l.entity}=${l.value}`);
}

describe("IpmitoolSession against the simulated BMC", () => {
  it("answers each listing as a one-shot run does, all through one ipmitool process and one BMC session", async () => {
    const { bmc, target } = await startBmc();
    const oneShot = new IpmitoolRunner({ target, timeoutMs: 10_000 });
    const expected = { temperature: values((await oneShot.run(["sdr", "type", "temperature"])).stdout), fan: values((await oneShot.run(["sdr", "type", "fan"])).stdout) };
    expect(expected.temperature).toHaveLength(4);
    expect(expected.fan).toHaveLength(6);
    expect(bmc.sessionCount()).toBe(0); // a one-shot run closes its session

    const s = session({ target, timeoutMs: 10_000 });
    for (let round = 0; round < 5; round++) {
      for (const kind of ["temperature", "fan"] as const) {
        const outcome = await s.run(["sdr", "type", kind]);
        expect(outcome.ok).toBe(true);
        expect(outcome.stderr).toBe("");
        expect(values(outcome.stdout)).toEqual(expected[kind]);
        expect(parseSdrTypeOutput(outcome.stdout).garbageLines).toBe(0); // no markers or prompts left in the answer
      }
    }
    const raw = await s.run(["raw", "0x06", "0x01"]); // Get Device ID
    expect(raw).toMatchObject({ ok: true, stdout: expect.stringMatching(/^ 20 01 /) as unknown });
    expect(s.opened).toBe(1);
    expect(bmc.sessionCount()).toBe(1);

    await s.close();
    await until("the session to be closed at the BMC", () => bmc.sessionCount() === 0);
  });

  it("a command the BMC refuses comes back as its completion code, and the next one opens a fresh session", async () => {
    const { target } = await startBmc();
    const s = session({ target, timeoutMs: 10_000 });
    expect((await s.run(["sdr", "type", "fan"])).ok).toBe(true);
    const refused = await s.run(["raw", "0x30", "0x99"]);
    expect(refused).toMatchObject({ ok: false, failure: { kind: "completion-code", code: 0xc1 } });
    const after = await s.run(["sdr", "type", "fan"]);
    expect(after.ok).toBe(true);
    expect(values(after.stdout)).toHaveLength(6);
    expect(s.opened).toBe(2);
  });

  it("a BMC gone silent: the command is killed at the time-out, and a fresh session answers once the BMC is back", async () => {
    const { relay, s } = await sessionThroughRelay(1_500);
    expect((await s.run(["sdr", "type", "temperature"])).ok).toBe(true);

    relay.setMode({ kind: "drop" });
    const hung = await s.run(["sdr", "type", "temperature"]);
    expect(hung).toMatchObject({ ok: false, failure: { kind: "timeout" } });
    expect(hung.durationMs).toBeGreaterThanOrEqual(1_400);
    expect(hung.durationMs).toBeLessThan(3_000);

    relay.setMode({ kind: "pass" });
    const back = await s.run(["sdr", "type", "temperature"]);
    expect(back.ok).toBe(true);
    expect(values(back.stdout)).toHaveLength(4);
    expect(s.opened).toBe(2);
  });

  it("close() does not wait out a hung BMC: the command in flight fails at once and the processes are gone", async () => {
    const { relay, s } = await sessionThroughRelay(10_000);
    expect((await s.run(["sdr", "type", "fan"])).ok).toBe(true);
    relay.setMode({ kind: "drop" });
    const inFlight = s.run(["sdr", "type", "fan"]);
    await sleep(200);
    expect(ipmitoolProcessesFor(relay.port)).toHaveLength(1);
    const startedMs = Date.now();
    await s.close();
    const outcome = await inFlight;
    expect(Date.now() - startedMs).toBeLessThan(2_500);
    expect(ipmitoolProcessesFor(relay.port)).toEqual([]);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: "failed", message: "ipmitool session ended before answering" } });
    expect(await s.run(["sdr", "type", "fan"])).toMatchObject({ ok: false, failure: { message: "ipmitool session closed" } });
  });

  it("says why it cannot start: credentials rejected, ipmitool missing; an argument it cannot pass is refused before ipmitool sees it", async () => {
    const { port, target } = await startBmc();
    const rejected = await session({ target: { interface: "lanplus", host: "127.0.0.1", port, username: "root", password: "wrong" }, timeoutMs: 10_000 }).run(["sdr", "type", "fan"]);
    // It fails opening the session, on the Get Device ID every session starts with; the message says so.
    expect(rejected).toMatchObject({ ok: false, failure: { kind: "no-session", message: expect.stringMatching(/^session start \(Get Device ID\): /) as unknown } });
    expect(rejected.durationMs).toBeLessThan(5_000); // ipmitool's exit ends the wait, not the time-out

    const missing = await session({ target, timeoutMs: 10_000, ipmitoolPath: "/nonexistent/ipmitool" }).run(["sdr", "type", "fan"]);
    expect(missing).toMatchObject({ ok: false, failure: { kind: "not-installed", message: expect.stringContaining("/nonexistent/ipmitool") as unknown } });

    const s = session({ target, timeoutMs: 10_000 });
    const injected = await s.run(["sdr", "type", "fan\nraw", "0x30", "0x30", "0x01", "0x01"]);
    expect(injected).toMatchObject({ ok: false, failure: { kind: "failed", message: expect.stringContaining("cannot go through a session") as unknown } });
    expect(s.opened).toBe(0);
  });

  function ipmitoolBuild(refuse: { exec?: boolean; shell?: boolean }): string {
    const build = buildIpmitool(refuse);
    cleanups.push(() => rmSync(build.dir, { recursive: true, force: true }));
    return build.path;
  }

  it("an ipmitool whose exec will not read a pipe (--enable-file-security): the same answers through ipmitool shell, one BMC session, closed on exit", async () => {
    const { bmc, target } = await startBmc();
    const s = session({ target, timeoutMs: 10_000, ipmitoolPath: ipmitoolBuild({ exec: true }) });
    const oneShot = new IpmitoolRunner({ target, timeoutMs: 10_000 });
    const expected = { temperature: values((await oneShot.run(["sdr", "type", "temperature"])).stdout), fan: values((await oneShot.run(["sdr", "type", "fan"])).stdout) };
    for (let round = 0; round < 3; round++) {
      for (const kind of ["temperature", "fan"] as const) {
        const outcome = await s.run(["sdr", "type", kind]);
        expect(outcome.ok).toBe(true);
        expect(values(outcome.stdout)).toEqual(expected[kind]);
        expect(parseSdrTypeOutput(outcome.stdout).garbageLines).toBe(0); // prompts and echoed lines taken out
      }
    }
    expect(await s.run(["raw", "0x06", "0x01"])).toMatchObject({ ok: true, stdout: expect.stringMatching(/^ 20 01 /) as unknown });
    expect(s.feeding).toBe("shell");
    expect(s.opened).toBe(2); // the refused exec, then one shell for every command
    expect(bmc.sessionCount()).toBe(1);
    expect(await s.run(["raw", "0x30", "0x99"])).toMatchObject({ ok: false, failure: { kind: "completion-code", code: 0xc1 } });
    await until("the refused command's shell to close its BMC session", () => bmc.sessionCount() === 0);
    expect((await s.run(["sdr", "type", "fan"])).ok).toBe(true);
    expect(s.opened).toBe(3);
    await s.close();
    await until("the shell to close its BMC session on exit", () => bmc.sessionCount() === 0);
  });

  it("an ipmitool with neither (exec refuses a pipe, no shell): every command runs one-shot, and it says so once", async () => {
    const { target } = await startBmc();
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (_obj: unknown, msg: string) => warnings.push(msg) } as unknown as Logger;
    const s = session({ target, timeoutMs: 10_000, ipmitoolPath: ipmitoolBuild({ exec: true, shell: true }), logger });
    const expected = values((await new IpmitoolRunner({ target, timeoutMs: 10_000 }).run(["sdr", "type", "fan"])).stdout);
    for (let i = 0; i < 3; i++) {
      const outcome = await s.run(["sdr", "type", "fan"]);
      expect(outcome.ok).toBe(true);
      expect(values(outcome.stdout)).toEqual(expected);
      expect(outcome.durationMs).toBeLessThan(5_000); // each refusal is heard when that ipmitool exits, not at the time-out
    }
    expect(await s.run(["raw", "0x30", "0x99"])).toMatchObject({ ok: false, failure: { kind: "completion-code", code: 0xc1 } });
    expect(s.feeding).toBe("one-shot");
    expect(s.opened).toBe(2); // the two attempts
    expect(warnings).toEqual([expect.stringContaining("running one ipmitool per command")]);
  });

  it("what ipmitool says while opening a BMC session is not held against the command: fan writes to a BMC that misreports the console id", async () => {
    const { bmc, target } = await startBmc({ misreportConsoleId: true });
    const manualOn = ["raw", "0x30", "0x30", "0x01", "0x00"];
    // The real ipmitool warns at each session start with this BMC and succeeds: exit 0, nothing on stdout.
    const oneShot = await new IpmitoolRunner({ target, timeoutMs: 10_000 }).run(manualOn);
    expect(oneShot.ok).toBe(true);
    expect(oneShot.stderr).toContain("Console session ID is not what we requested");
    expect(oneShot.stdout.trim()).toBe("");

    const notes: unknown[] = [];
    const logger = { info: (obj: unknown) => notes.push(obj), warn: () => undefined } as unknown as Logger;
    const s = session({ target, timeoutMs: 10_000, maxAgeMs: 0, logger }); // a new session for every command
    for (let i = 0; i < 3; i++) {
      const outcome = await s.run(manualOn);
      expect(outcome).toMatchObject({ ok: true, stderr: "" });
      expect(outcome.stdout.trim()).toBe("");
    }
    expect(await s.run(["raw", "0x30", "0x30", "0x02", "0xff", "0x2a"])).toMatchObject({ ok: true, stderr: "" });
    expect(s.opened).toBe(4);
    expect(bmc.mode()).toBe("manual");
    expect(new Set(bmc.fanCommandPct())).toEqual(new Set([42]));
    // Said once, not once per session.
    expect(notes).toEqual([expect.objectContaining({ said: "Warning: Console session ID is not what we requested" })]);
    // A refusal is still the command's own.
    expect(await s.run(["raw", "0x30", "0x99"])).toMatchObject({ ok: false, failure: { kind: "completion-code", code: 0xc1 } });
  });

  it("a shell session does not outlive its process: SIGKILL leaves no ipmitool behind", async () => {
    const { port, target } = await startBmc();
    const build = ipmitoolBuild({ exec: true });
    const moduleUrl = pathToFileURL(join(import.meta.dirname, "../../dist/src/hardware/ipmi/index.js")).href;
    const script = `const { IpmitoolSession } = await import(${JSON.stringify(moduleUrl)});
const s = new IpmitoolSession({ target: ${JSON.stringify(target)}, timeoutMs: 10000, ipmitoolPath: ${JSON.stringify(build)} });
const o = await s.run(["sdr", "type", "fan"]);
console.log(o.ok && s.feeding === "shell" ? "ready" : "failed " + JSON.stringify(o));
setInterval(() => undefined, 1000);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    cleanups.push(() => void child.kill("SIGKILL"));
    const said = await new Promise<string>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(d.toString().trim())));
    expect(said).toBe("ready");
    expect(ipmitoolProcessesFor(port)).toHaveLength(1);
    child.kill("SIGKILL");
    await until("the orphaned shell session to end", () => ipmitoolProcessesFor(port).length === 0);
  });

  it("closes an idle session, and renews one past its age", async () => {
    const { bmc, target } = await startBmc();
    const idle = session({ target, timeoutMs: 10_000, idleCloseMs: 200 });
    expect((await idle.run(["sdr", "type", "fan"])).ok).toBe(true);
    expect(bmc.sessionCount()).toBe(1);
    await until("the idle session to close", () => bmc.sessionCount() === 0);
    expect((await idle.run(["sdr", "type", "fan"])).ok).toBe(true);
    expect(idle.opened).toBe(2);
    await idle.close();

    const aging = session({ target, timeoutMs: 10_000, maxAgeMs: 1_500 });
    for (let i = 0; i < 3; i++) expect((await aging.run(["sdr", "type", "fan"])).ok).toBe(true);
    expect(aging.opened).toBe(1);
    await sleep(1_600);
    expect((await aging.run(["sdr", "type", "fan"])).ok).toBe(true);
    expect(aging.opened).toBe(2);
    await aging.close();
    await until("every session to be closed at the BMC", () => bmc.sessionCount() === 0);
  });

  it("feeds IpmiSensorSource the same readings as one-shot runs", async () => {
    const { target } = await startBmc();
    const clock = new ManualClock();
    const through = async (runner: IpmitoolRunner | IpmitoolSession) => {
      const source = new IpmiSensorSource({ runner, clock });
      const report = await source.refresh();
      expect(report).toMatchObject({ ok: true, readings: 10, garbageLines: 0 });
      return source.sweep(clock.nowMs()).map((r) => `${r.id}=${r.value}`);
    };
    expect(await through(session({ target, timeoutMs: 10_000 }))).toEqual(await through(new IpmitoolRunner({ target, timeoutMs: 10_000 })));
  });
});
