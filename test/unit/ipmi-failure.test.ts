import { describe, expect, it } from "vitest";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import { IpmiConfig, ipmitoolArgs, ipmitoolEnv, ipmitoolTargetFromConfig, parseIpmitoolFailure, type IpmitoolTarget } from "../../src/hardware/ipmi/index.js";

describe("parseIpmitoolFailure", () => {
  it("reads the completion code of a refused raw command, as ipmitool 1.8.19 prints it", () => {
    const stderr = "Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x30 rsp=0xd4): Insufficient privilege level\n";
    expect(parseIpmitoolFailure(stderr, 1)).toEqual({ kind: "completion-code", code: 0xd4, message: "Insufficient privilege level" });
  });

  it("reads other completion codes: 0xc1, 0xcc, 0xd5, 0xc0, a one-digit code", () => {
    const rsp = (code: string, text: string) => `Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x30 rsp=${code}): ${text}`;
    expect(parseIpmitoolFailure(rsp("0xc1", "Invalid command"), 1)).toMatchObject({ kind: "completion-code", code: 0xc1 });
    expect(parseIpmitoolFailure(rsp("0xcc", "Invalid data field in request"), 1)).toMatchObject({ code: 0xcc });
    expect(parseIpmitoolFailure(rsp("0xd5", "Command not supported in present state"), 1)).toMatchObject({ code: 0xd5 });
    expect(parseIpmitoolFailure(rsp("0xc0", "Node busy"), 1)).toMatchObject({ code: 0xc0 });
    expect(parseIpmitoolFailure(rsp("0x8", "Unknown (0x08)"), 1)).toMatchObject({ code: 0x08 });
  });

  it("a session that cannot be established is 'no-session' (unreachable or bad credentials), not a refusal", () => {
    expect(parseIpmitoolFailure("Error: Unable to establish IPMI v2 / RMCP+ session\n", 1)).toEqual({
      kind: "no-session",
      message: "Error: Unable to establish IPMI v2 / RMCP+ session",
    });
    const lan = "Activate Session command failed\nError: Unable to establish LAN session\nError: Unable to establish IPMI v1.5 / RMCP session\n";
    expect(parseIpmitoolFailure(lan, 1)).toMatchObject({ kind: "no-session", message: "Error: Unable to establish LAN session" });
  });

  it("a missing /dev/ipmi0 is 'no-device'", () => {
    const stderr = "Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: No such file or directory\n";
    expect(parseIpmitoolFailure(stderr, 1)).toMatchObject({ kind: "no-device" });
  });

  it("anything else is 'failed' with the first line", () => {
    expect(parseIpmitoolFailure("\nsomething odd\nmore\n", 1)).toEqual({ kind: "failed", exitCode: 1, message: "something odd" });
    expect(parseIpmitoolFailure("", null)).toEqual({ kind: "failed", exitCode: null, message: "ipmitool exited with a signal" });
  });
});

describe("ipmitool command line", () => {
  const lan: IpmitoolTarget = { interface: "lanplus", host: "10.0.0.5", port: 6230, username: "root", password: "s3cret", cipherSuite: 17 };

  it("passes the password only in the environment (-E), never as -P", () => {
    const args = ipmitoolArgs(lan, ["raw", "0x30", "0x30", "0x01", "0x00"]);
    expect(args).toEqual(["-I", "lanplus", "-H", "10.0.0.5", "-p", "6230", "-U", "root", "-E", "-C", "17", "raw", "0x30", "0x30", "0x01", "0x00"]);
    expect(args).not.toContain("-P");
    expect(args.join(" ")).not.toContain("s3cret");
    expect(ipmitoolEnv(lan, "/usr/bin")).toEqual({ PATH: "/usr/bin", LC_ALL: "C", IPMI_PASSWORD: "s3cret" });
  });

  it("in-band (-I open) has no credentials at all", () => {
    expect(ipmitoolArgs({ interface: "open" }, ["sdr", "type", "fan"])).toEqual(["-I", "open", "sdr", "type", "fan"]);
    expect(ipmitoolEnv({ interface: "open" }, "/usr/bin")).toEqual({ PATH: "/usr/bin", LC_ALL: "C" });
  });

  it("IPMI v1.5 (-I lan) takes no cipher suite", () => {
    expect(ipmitoolArgs({ ...lan, interface: "lan" }, ["mc", "info"])).toEqual(["-I", "lan", "-H", "10.0.0.5", "-p", "6230", "-U", "root", "-E", "mc", "info"]);
  });
});

describe("IpmiConfig", () => {
  it("defaults to in-band with a 10 s timeout, a 5 s sweep, persistent sessions and the SDR cache", () => {
    expect(IpmiConfig.parse({})).toEqual({ interface: "open", port: 623, timeoutMs: 10_000, sweepPeriodMs: 5_000, reprobeMs: 600_000, ipmitoolPath: "ipmitool", session: "persistent", sdrCache: true });
  });

  it("lanplus needs host, username and passwordFile, and says which is missing", () => {
    const result = IpmiConfig.safeParse({ interface: "lanplus", host: "idrac-r740-01" });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join(".")) ?? [];
    expect(paths).toEqual(["username", "passwordFile"]);
  });

  it("rejects credentials with in-band, a password on the command line, and a timeout that would stall the loop", () => {
    expect(IpmiConfig.safeParse({ interface: "open", host: "x" }).success).toBe(false);
    expect(IpmiConfig.safeParse({ interface: "lanplus", host: "h", username: "root", password: "calvin" }).success).toBe(false);
    expect(IpmiConfig.safeParse({ interface: "lan", host: "h", username: "root", passwordFile: "/p", cipherSuite: 3 }).success).toBe(false);
    expect(IpmiConfig.safeParse({ interface: "open", timeoutMs: 10_000, sweepPeriodMs: 5_000 }).success).toBe(true);
    expect(IpmiConfig.safeParse({ interface: "open", timeoutMs: 10_000, sweepPeriodMs: 4_000 }).success).toBe(false);
  });

  it("reads the password file, dropping one trailing newline", () => {
    const cfg = IpmiConfig.parse({ interface: "lanplus", host: "h", username: "root", passwordFile: "/etc/coolfleet/bmc.pw", cipherSuite: 3 });
    const target = ipmitoolTargetFromConfig(cfg, (file) => {
      expect(file).toBe("/etc/coolfleet/bmc.pw");
      return "calvin\n";
    });
    expect(target).toEqual({ interface: "lanplus", host: "h", port: 623, username: "root", password: "calvin", cipherSuite: 3 });
  });

  it("an unreadable or empty password file is a config error naming the file", () => {
    const cfg = IpmiConfig.parse({ interface: "lan", host: "h", username: "root", passwordFile: "/nope" });
    let caught: unknown;
    try {
      ipmitoolTargetFromConfig(cfg, () => {
        throw new Error("ENOENT: no such file or directory");
      });
    } catch (err) {
      caught = err;
    }
    expect(isCoolfleetError(caught, ErrorCode.ConfigUnreadable)).toBe(true);
    expect((caught as Error).message).toContain("/nope");
    expect(() => ipmitoolTargetFromConfig(cfg, () => "\n")).toThrow(/empty/);
  });
});
