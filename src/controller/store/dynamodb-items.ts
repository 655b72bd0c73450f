import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { HostBirth, Telemetry } from "../../protocol/index.js";
import type { HostFeatures, HostStateName } from "../types.js";
import { featuresSk, hostIdOfPk, hostPk, pad, PREFIX, rawSk, rollupSk } from "./dynamodb-layout.js";
import type { TelemetrySummary } from "./telemetry-summary.js";
import type { HostTransition, OfflineReason, StoredHost, TelemetryRollup } from "./telemetry-store.js";

/** Items as the document client reads and writes them, and their mapping to domain objects. */
export type Item = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const numOrNull = (v: unknown): number | null => num(v) ?? null;

export function toStoredHost(hostId: string, item: Item | undefined): StoredHost {
  const telemetryMs = num(item?.["lastTelemetryMs"]);
  const presenceMs = num(item?.["presenceTsMs"]);
  const seen = [telemetryMs, presenceMs].filter((v): v is number => v !== undefined);
  const birth = str(item?.["birth"]);
  return {
    hostId,
    online: item?.["online"] === true,
    boot: str(item?.["boot"]),
    // SQLite keeps one column updated by both; here telemetry and presence write their own attribute (no
    // read-modify-write between them), and the newest of the two is the host's last sign of life.
    lastSeenMs: seen.length > 0 ? Math.max(...seen) : undefined,
    birth: birth === undefined ? undefined : (JSON.parse(birth) as HostBirth),
    offlineReason: str(item?.["offlineReason"]) as OfflineReason | undefined,
    state: (str(item?.["state"]) ?? "Setup") as HostStateName,
  };
}

/**
 * A raw message: the message itself as deflated JSON (read back byte-for-byte as it was sent; ~3× smaller, which is
 * what write units are charged on), beside the plain attributes roll-ups aggregate.
 */
export function fromTelemetry(t: Telemetry, summary: TelemetrySummary): Item {
  const item: Item = {
    pk: hostPk(t.host),
    sk: rawSk(t.boot, t.seq),
    lk: `${PREFIX.rawTime}${pad(t.ts)}`,
    ts: t.ts,
    mode: t.mode,
    fanPct: t.outputs.fanPct,
    msg: deflateRawSync(Buffer.from(JSON.stringify(t))),
  };
  if (t.outputs.pumpPct !== undefined) item["pumpPct"] = t.outputs.pumpPct;
  if (summary.cpuMaxC !== null) item["cpuMaxC"] = summary.cpuMaxC;
  if (summary.driveMaxC !== null) item["driveMaxC"] = summary.driveMaxC;
  if (summary.cpuUtilPct !== null) item["cpuUtilPct"] = summary.cpuUtilPct;
  if (summary.powerW !== null) item["powerW"] = summary.powerW;
  return item;
}

export function toTelemetry(item: Item): Telemetry {
  const msg = item["msg"];
  if (!(msg instanceof Uint8Array)) throw new Error(`telemetry item ${String(item["pk"])} ${String(item["sk"])} has no message`);
  return JSON.parse(inflateRawSync(msg).toString("utf8")) as Telemetry;
}

export function fromFeatures(f: HostFeatures): Item {
  return { pk: hostPk(f.hostId), sk: featuresSk(f.windowStartMs), windowEndMs: f.windowEndMs, features: JSON.stringify(f) };
}

export function toFeatures(item: Item): HostFeatures {
  return JSON.parse(String(item["features"])) as HostFeatures;
}

export function toTransition(item: Item): HostTransition {
  return {
    hostId: hostIdOfPk(String(item["pk"])),
    from: (str(item["from"]) ?? null) as HostStateName | null,
    to: item["to"] as HostStateName,
    cause: String(item["cause"]),
    atMs: Number(item["atMs"]),
  };
}

/** Running sums of one bucket, as the SQLite roll-up keeps them (means as sum and count, so buckets can merge). */
export interface RollupSums {
  bucketStartMs: number;
  samples: number;
  cpuSamples: number;
  cpuMaxCMin: number | null;
  cpuMaxCMax: number | null;
  cpuMaxCSum: number;
  driveMaxCMax: number | null;
  fanPctSum: number;
  fanPctMax: number;
  pumpSamples: number;
  pumpPctSum: number;
  powerSamples: number;
  powerWSum: number;
  utilSamples: number;
  cpuUtilPctSum: number;
  failsafeSamples: number;
  overrideSamples: number;
}

const minOf = (a: number | null, b: number): number => (a === null ? b : Math.min(a, b));
const maxOf = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/** Adds one raw item (its roll-up attributes) to its bucket's sums. */
export function addToBucket(buckets: Map<number, RollupSums>, bucketMs: number, item: Item): void {
  const ts = Number(item["ts"]);
  const start = ts - (((ts % bucketMs) + bucketMs) % bucketMs);
  let b = buckets.get(start);
  if (!b) {
    b = {
      bucketStartMs: start,
      samples: 0,
      cpuSamples: 0,
      cpuMaxCMin: null,
      cpuMaxCMax: null,
      cpuMaxCSum: 0,
      driveMaxCMax: null,
      fanPctSum: 0,
      fanPctMax: Number.NEGATIVE_INFINITY,
      pumpSamples: 0,
      pumpPctSum: 0,
      powerSamples: 0,
      powerWSum: 0,
      utilSamples: 0,
      cpuUtilPctSum: 0,
      failsafeSamples: 0,
      overrideSamples: 0,
    };
    buckets.set(start, b);
  }
  b.samples++;
  const cpu = num(item["cpuMaxC"]);
  if (cpu !== undefined) {
    b.cpuSamples++;
    b.cpuMaxCMin = minOf(b.cpuMaxCMin, cpu);
    b.cpuMaxCMax = maxOf(b.cpuMaxCMax, cpu);
    b.cpuMaxCSum += cpu;
  }
  const drive = num(item["driveMaxC"]);
  if (drive !== undefined) b.driveMaxCMax = maxOf(b.driveMaxCMax, drive);
  const fan = Number(item["fanPct"]);
  b.fanPctSum += fan;
  b.fanPctMax = Math.max(b.fanPctMax, fan);
  const pump = num(item["pumpPct"]);
  if (pump !== undefined) {
    b.pumpSamples++;
    b.pumpPctSum += pump;
  }
  const power = num(item["powerW"]);
  if (power !== undefined) {
    b.powerSamples++;
    b.powerWSum += power;
  }
  const util = num(item["cpuUtilPct"]);
  if (util !== undefined) {
    b.utilSamples++;
    b.cpuUtilPctSum += util;
  }
  if (item["mode"] === "failsafe") b.failsafeSamples++;
  if (item["mode"] === "override") b.overrideSamples++;
}

export function fromRollup(hostId: string, bucketMs: number, sums: RollupSums): Item {
  const item: Item = { pk: hostPk(hostId), sk: rollupSk(bucketMs, sums.bucketStartMs), bucketMs, ...sums };
  // The document client cannot store null in a number attribute; absent means "no trusted reading".
  for (const key of ["cpuMaxCMin", "cpuMaxCMax", "driveMaxCMax"] as const) if (sums[key] === null) delete item[key];
  return item;
}

const mean = (sum: unknown, count: unknown): number | null => (Number(count) > 0 ? Number(sum) / Number(count) : null);

export function toRollup(item: Item): TelemetryRollup {
  return {
    hostId: hostIdOfPk(String(item["pk"])),
    bucketMs: Number(item["bucketMs"]),
    bucketStartMs: Number(item["bucketStartMs"]),
    samples: Number(item["samples"]),
    cpuMaxCMin: numOrNull(item["cpuMaxCMin"]),
    cpuMaxCMax: numOrNull(item["cpuMaxCMax"]),
    cpuMaxCMean: mean(item["cpuMaxCSum"], item["cpuSamples"]),
    driveMaxCMax: numOrNull(item["driveMaxCMax"]),
    fanPctMean: Number(item["fanPctSum"]) / Number(item["samples"]),
    fanPctMax: Number(item["fanPctMax"]),
    pumpPctMean: mean(item["pumpPctSum"], item["pumpSamples"]),
    powerWMean: mean(item["powerWSum"], item["powerSamples"]),
    cpuUtilPctMean: mean(item["cpuUtilPctSum"], item["utilSamples"]),
    failsafeSamples: Number(item["failsafeSamples"]),
    overrideSamples: Number(item["overrideSamples"]),
  };
}
