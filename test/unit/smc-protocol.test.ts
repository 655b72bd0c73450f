import { describe, expect, it } from "vitest";
import { SimulatedSmc, SmcHelperService } from "../../firmware-sim/smc/index.js";
import { loadProfile, SimHost } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { encodeSmcLine, JsonLineSplitter, SmcRequest, SmcResponse, type ForceScheme } from "../../src/hardware/smc/index.js";

describe("SMC helper protocol encoding", () => {
  it("puts one JSON object per line", () => {
    expect(encodeSmcLine({ id: 3, op: "readTemps", keys: ["TC0P", "FS! "] })).toBe('{"id":3,"op":"readTemps","keys":["TC0P","FS! "]}\n');
    expect(encodeSmcLine({ id: 3, ok: false, error: { code: "no_lease", message: "x" } })).toBe('{"id":3,"ok":false,"error":{"code":"no_lease","message":"x"}}\n');
  });

  it.each([
    [{ id: 1, op: "hello" }, true],
    [{ id: 1, op: "readTemps", keys: ["TC0P"] }, true],
    [{ id: 1, op: "readTemps", keys: ["TC0PX"] }, false],
    [{ id: 1, op: "readTemps", keys: [] }, false],
    [{ id: 1, op: "setFans", pct: 100 }, true],
    [{ id: 1, op: "setFans", pct: 101 }, false],
    [{ id: 1, op: "takeControl", leaseMs: 500 }, false],
    [{ id: 1, op: "takeControl", leaseMs: 15000 }, true],
    [{ id: -1, op: "hello" }, false],
    [{ id: 1, op: "hello", extra: true }, false],
    [{ op: "hello" }, false],
  ])("validates requests: %j → %s", (message, valid) => {
    expect(SmcRequest.safeParse(message).success).toBe(valid);
  });

  it("accepts error responses without an id (the request could not be read)", () => {
    expect(SmcResponse.safeParse({ id: null, ok: false, error: { code: "bad_request", message: "not JSON" } }).success).toBe(true);
    expect(SmcResponse.safeParse({ id: null, ok: true, result: {} }).success).toBe(false);
    expect(SmcResponse.safeParse({ id: 1, ok: false, error: { code: "teapot", message: "" } }).success).toBe(false);
  });

  it("splits lines across chunks and skips an over-long one", () => {
    const lines: string[] = [];
    let overflows = 0;
    const splitter = new JsonLineSplitter(
      (l) => lines.push(l),
      () => overflows++,
      16,
    );
    splitter.push('{"a":');
    splitter.push('1}\n{"b":2}\n\n');
    splitter.push("x".repeat(20));
    splitter.push("yyy\n{}\n");
    expect(lines).toEqual(['{"a":1}', '{"b":2}', "{}"]);
    expect(overflows).toBe(1);
  });
});

function service(scheme: ForceScheme = "t2", maxLeaseMs = 60_000) {
  const clock = new ManualClock();
  const physics = new SimHost({ hostId: "mac", profile: loadProfile("macpro-2019"), seed: 1, spread: false });
  const smc = new SimulatedSmc({ physics, profile: loadProfile("macpro-2019"), scheme });
  return { clock, smc, svc: new SmcHelperService({ smc, clock, maxLeaseMs }) };
}

describe("SMC helper service (the protocol's semantics)", () => {
  it("introduces the machine: protocol, scheme, fans with their limits, temperature keys", () => {
    const { svc } = service();
    const reply = svc.handle(1, { id: 1, op: "hello" });
    expect(reply).toMatchObject({
      id: 1,
      ok: true,
      result: {
        protocol: 1,
        model: "MacPro7,1",
        forceScheme: "t2",
        fans: [
          { index: 0, minRpm: 500, maxRpm: 2000 },
          { index: 1, minRpm: 500, maxRpm: 2000 },
          { index: 2, minRpm: 500, maxRpm: 2000 },
          { index: 3, minRpm: 625, maxRpm: 2500 },
        ],
        maxLeaseMs: 60_000,
      },
    });
    expect((reply as { result: { tempKeys: string[] } }).result.tempKeys).toEqual(expect.arrayContaining(["TC0P", "TC0D", "TCXC", "TC1C", "TA0P"]));
  });

  it("maps % to RPM between each fan's min and max, forcing with F{n}Md=1 on a T2 Mac", () => {
    const { svc, smc } = service("t2");
    expect(svc.handle(1, { id: 2, op: "takeControl", leaseMs: 120_000 })).toEqual({ id: 2, ok: true, result: { leaseMs: 60_000 } });
    expect(svc.handle(1, { id: 3, op: "setFans", pct: 50 })).toEqual({ id: 3, ok: true, result: { targetRpm: [1250, 1250, 1250, 1562.5] } });
    expect([smc.readKey("F0Md"), smc.readKey("F3Md"), smc.readKey("F3Tg")]).toEqual([1, 1, 1562.5]);
    expect(svc.handle(1, { id: 4, op: "release" })).toEqual({ id: 4, ok: true, result: { restored: true } });
    expect([smc.readKey("F0Md"), smc.readKey("F3Md")]).toEqual([0, 0]);
  });

  it("forces with the FS! bitmask on older Intel Macs, and clears it on release", () => {
    const { svc, smc } = service("fs-bitmask");
    svc.handle(1, { id: 1, op: "takeControl", leaseMs: 10_000 });
    svc.handle(1, { id: 2, op: "setFans", pct: 0 });
    expect([smc.readKey("FS! "), smc.readKey("F0Tg"), smc.readKey("F0Md")]).toEqual([0b1111, 500, undefined]);
    svc.handle(1, { id: 3, op: "release" });
    expect(smc.readKey("FS! ")).toBe(0);
  });

  it("holds the lease for one client: others get lease_held, setFans without it no_lease", () => {
    const { svc } = service();
    expect(svc.handle(1, { id: 1, op: "setFans", pct: 50 })).toMatchObject({ ok: false, error: { code: "no_lease" } });
    svc.handle(1, { id: 2, op: "takeControl", leaseMs: 10_000 });
    expect(svc.handle(2, { id: 1, op: "takeControl", leaseMs: 10_000 })).toMatchObject({ id: 1, ok: false, error: { code: "lease_held" } });
    expect(svc.handle(2, { id: 2, op: "release" })).toEqual({ id: 2, ok: true, result: { restored: false } });
    expect(svc.holder()).toBe(1);
  });

  it("restores automatic fans when the lease lapses; setFans renews it", () => {
    const { svc, smc, clock } = service();
    svc.handle(1, { id: 1, op: "takeControl", leaseMs: 10_000 });
    svc.handle(1, { id: 2, op: "setFans", pct: 80 });
    clock.advance(9_000);
    svc.handle(1, { id: 3, op: "setFans", pct: 80 });
    clock.advance(9_000);
    expect(smc.forced(0)).toBe(true);
    clock.advance(1_000);
    expect([smc.forced(0), svc.holder(), svc.leaseLapses, svc.autoRestores]).toEqual([false, undefined, 1, 1]);
    expect(svc.handle(1, { id: 4, op: "setFans", pct: 80 })).toMatchObject({ ok: false, error: { code: "no_lease" } });
  });

  it("restores at once when the holder's connection closes, and on shutdown", () => {
    const { svc, smc } = service();
    svc.handle(7, { id: 1, op: "takeControl", leaseMs: 10_000 });
    svc.handle(7, { id: 2, op: "setFans", pct: 80 });
    svc.connectionClosed(8);
    expect(smc.forced(0)).toBe(true);
    svc.connectionClosed(7);
    expect(smc.forced(0)).toBe(false);
    svc.handle(9, { id: 1, op: "takeControl", leaseMs: 10_000 });
    svc.handle(9, { id: 2, op: "setFans", pct: 80 });
    svc.shutdown();
    expect([smc.forced(0), svc.autoRestores]).toEqual([false, 2]);
  });

  it("answers malformed requests with bad_request or unknown_op, keeping the id when it can", () => {
    const { svc } = service();
    expect(svc.handle(1, { id: 5, op: "fly" })).toMatchObject({ id: 5, ok: false, error: { code: "unknown_op" } });
    expect(svc.handle(1, { id: 6, op: "setFans", pct: "lots" })).toMatchObject({ id: 6, ok: false, error: { code: "bad_request", message: expect.stringContaining("pct") as unknown } });
    expect(svc.handle(1, [1, 2])).toMatchObject({ id: null, ok: false, error: { code: "bad_request" } });
  });

  it("reads temperatures raw, null for keys the machine lacks, 129 passed through", () => {
    const { svc, smc } = service();
    smc.setInvalidTemp("TC0D", true);
    const reply = svc.handle(1, { id: 1, op: "readTemps", keys: ["TC0P", "TC0D", "Tp01"] }) as { result: { temps: Record<string, number | null> } };
    expect(reply.result.temps.TC0P).toBeCloseTo(smc.snapshot().sockets[0]?.sinkC ?? 0, 0);
    expect(reply.result.temps.TC0D).toBe(129);
    expect(reply.result.temps.Tp01).toBeNull();
  });
});
