import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { parseSdrRepositoryInfo, SdrCache, sdrDumpRecordCount, type IpmiCommandRunner, type IpmitoolOutcome } from "../../src/hardware/ipmi/index.js";

/** Get SDR Repository Info as ipmitool raw prints it: 10 records, addition and erase timestamps as given. */
const info = (records: number, addition = "00 00 00 00", erase = "00 00 00 00"): string => ` 51 ${hex(records & 0xff)} ${hex(records >> 8)} 00 00 ${addition} ${erase} 02\n`;
const hex = (b: number): string => b.toString(16).padStart(2, "0");

/** A dump file of n full-sensor-like records (5-byte header, then length bytes). */
function dumpBytes(n: number, length = 40): Buffer {
  const parts: Buffer[] = [];
  for (let id = 1; id <= n; id++) {
    const header = Buffer.from([id & 0xff, id >> 8, 0x51, 0x01, length]);
    parts.push(header, Buffer.alloc(length, id));
  }
  return Buffer.concat(parts);
}

/** Stands in for the one-shot `ipmitool sdr dump FILE`: writes what it is told to, counts its runs. */
class FakeDumper implements IpmiCommandRunner {
  runs: string[][] = [];
  records = 10;
  fail: string | undefined;
  write: ((file: string) => void) | undefined;
  run(command: readonly string[]): Promise<IpmitoolOutcome> {
    this.runs.push([...command]);
    const file = command[2] ?? "";
    if (this.fail) return Promise.resolve({ ok: false, failure: { kind: "no-session", message: this.fail }, stdout: "", stderr: this.fail, durationMs: 1 });
    if (this.write) this.write(file);
    else writeFileSync(file, dumpBytes(this.records));
    return Promise.resolve({ ok: true, stdout: `Dumping Sensor Data Repository to '${file}'\n`, stderr: "", durationMs: 1 });
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function cacheFor(opts: { maxAgeMs?: number; retryAfterMs?: number } = {}): { cache: SdrCache; dumper: FakeDumper; clock: ManualClock; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "sdr-cache-test-"));
  dirs.push(dir);
  const dumper = new FakeDumper();
  const clock = new ManualClock();
  return { cache: new SdrCache({ dumpRunner: dumper, dir, clock, ...opts }), dumper, clock, dir };
}

describe("parseSdrRepositoryInfo", () => {
  it("reads the record count and stamps the repository by count and change timestamps, not free space", () => {
    const a = parseSdrRepositoryInfo(info(10, "5a 3c 01 60"));
    expect(a).toEqual({ records: 10, stamp: "10:5a3c016000000000" });
    expect(parseSdrRepositoryInfo(" 51 0a 00 ff 7f 5a 3c 01 60 00 00 00 00 02")).toEqual(a);
    expect(parseSdrRepositoryInfo(info(0x123))?.records).toBe(0x123);
    expect(parseSdrRepositoryInfo(info(10, "5a 3c 01 61"))?.stamp).not.toBe(a?.stamp);
  });

  it("refuses what is not a whole answer", () => {
    expect(parseSdrRepositoryInfo("")).toBeUndefined();
    expect(parseSdrRepositoryInfo(" 51 0a 00 00 00")).toBeUndefined();
    expect(parseSdrRepositoryInfo("Unable to send RAW command (channel=0x0 netfn=0xa lun=0x0 cmd=0x20 rsp=0xc1)")).toBeUndefined();
    expect(parseSdrRepositoryInfo(info(10).replace("51", "zz"))).toBeUndefined();
  });
});

describe("sdrDumpRecordCount", () => {
  it("counts the records of a well-formed dump", () => {
    expect(sdrDumpRecordCount(dumpBytes(10))).toBe(10);
    expect(sdrDumpRecordCount(Buffer.alloc(0))).toBe(0);
  });

  it("refuses a truncated file or a bad SDR version, which ipmitool -S would read only up to the fault", () => {
    const whole = dumpBytes(3);
    expect(sdrDumpRecordCount(whole.subarray(0, whole.length - 1))).toBeUndefined();
    expect(sdrDumpRecordCount(whole.subarray(0, 3))).toBeUndefined();
    const badVersion = Buffer.from(whole);
    badVersion[2 + 45] = 0x33; // the second record's version byte
    expect(sdrDumpRecordCount(badVersion)).toBeUndefined();
  });
});

describe("SdrCache", () => {
  it("dumps once, then sessions opened on the dump keep it while the repository's stamp holds", async () => {
    const { cache, dumper } = cacheFor();
    expect(cache.sessionOptions()).toEqual({ args: [], stamp: undefined });
    expect(await cache.check(info(10), undefined)).toBe("reopen");
    expect(dumper.runs).toHaveLength(1);
    expect(dumper.runs[0]?.slice(0, 2)).toEqual(["sdr", "dump"]);
    const opened = cache.sessionOptions();
    expect(opened.args[0]).toBe("-S");
    expect(existsSync(opened.args[1] ?? "")).toBe(true);
    for (let i = 0; i < 5; i++) expect(await cache.check(info(10), opened.stamp)).toBe("keep");
    expect(dumper.runs).toHaveLength(1);
  });

  it("dumps again when the repository changes, and removes the old file", async () => {
    const { cache, dumper, dir } = cacheFor();
    await cache.check(info(10), undefined);
    const first = cache.sessionOptions();
    expect(await cache.check(info(10, "01 00 00 00"), first.stamp)).toBe("reopen");
    expect(dumper.runs).toHaveLength(2);
    const second = cache.sessionOptions();
    expect(second.stamp).not.toBe(first.stamp);
    expect(readdirSync(dir)).toEqual([second.args[1]?.split("/").pop()]);
    // A session still on the old stamp when another has refreshed the cache is reopened, without another dump.
    expect(await cache.check(info(10, "01 00 00 00"), first.stamp)).toBe("reopen");
    expect(dumper.runs).toHaveLength(2);
  });

  it("dumps again when the cache is older than maxAgeMs, even if the stamp holds", async () => {
    const { cache, dumper, clock } = cacheFor({ maxAgeMs: 60_000 });
    await cache.check(info(10), undefined);
    const { stamp } = cache.sessionOptions();
    clock.advance(59_000);
    expect(await cache.check(info(10), stamp)).toBe("keep");
    clock.advance(2_000);
    // Dumped again: the session's records came from the old file, which the age rule no longer trusts.
    expect(await cache.check(info(10), stamp)).toBe("reopen");
    expect(dumper.runs).toHaveLength(2);
  });

  it("a BMC that does not answer Get SDR Repository Info: off, sessions walk, a cached session is reopened without it", async () => {
    const { cache, dumper, clock } = cacheFor({ retryAfterMs: 600_000 });
    await cache.check(info(10), undefined);
    const { stamp } = cache.sessionOptions();
    expect(await cache.check(undefined, stamp)).toBe("reopen");
    expect(cache.off).toMatch(/did not answer Get SDR Repository Info/);
    expect(cache.sessionOptions()).toEqual({ args: [], stamp: undefined });
    expect(await cache.check(undefined, undefined)).toBe("keep");
    expect(await cache.check(info(10), undefined)).toBe("keep"); // still off: no dump
    expect(dumper.runs).toHaveLength(1);
    clock.advance(600_000);
    expect(await cache.check(info(10), undefined)).toBe("reopen");
    expect(cache.off).toBeUndefined();
    expect(dumper.runs).toHaveLength(2);
  });

  it("a failed dump, or one that does not hold the records the BMC reports, leaves no cache file in use", async () => {
    const failing = cacheFor();
    failing.dumper.fail = "Error: Unable to establish IPMI v2 / RMCP+ session";
    expect(await failing.cache.check(info(10), undefined)).toBe("keep");
    expect(failing.cache.off).toMatch(/sdr dump failed: no IPMI session/);
    expect(readdirSync(failing.dir)).toEqual([]);

    const short = cacheFor();
    short.dumper.records = 9;
    expect(await short.cache.check(info(10), undefined)).toBe("keep");
    expect(short.cache.off).toMatch(/9 records where the BMC reports 10/);
    expect(short.cache.sessionOptions().args).toEqual([]);

    const truncated = cacheFor();
    truncated.dumper.write = (file) => writeFileSync(file, dumpBytes(10).subarray(0, 200));
    expect(await truncated.cache.check(info(10), undefined)).toBe("keep");
    expect(truncated.cache.off).toMatch(/unreadable records where the BMC reports 10/);
    expect(readdirSync(truncated.dir)).toEqual([]);
  });

  it("dispose() removes the private directory it made", async () => {
    const dumper = new FakeDumper();
    const cache = new SdrCache({ dumpRunner: dumper, clock: new ManualClock() });
    await cache.check(info(10), undefined);
    const file = cache.sessionOptions().args[1] ?? "";
    expect(file).toContain(`${tmpdir()}/coolfleet-sdr-`);
    cache.dispose();
    expect(existsSync(file)).toBe(false);
    expect(existsSync(join(file, ".."))).toBe(false);
  });
});
