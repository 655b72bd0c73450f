import { hostViewFrom } from "../features.js";
import { controlsPump } from "../planner/proposal.js";
import type { TelemetryStore } from "../store/telemetry-store.js";
import type { HostSequence } from "./dataset.js";
import type { CoolingKind } from "./model-layout.js";
import { sampleFromView, type ThermalSample } from "./thermal-sample.js";

const PAGE = 10_000;

export interface StoreSplit {
  train: HostSequence[];
  validation: HostSequence[];
  heldOut: HostSequence[];
  periodMs: number;
}

/** Which part of a store to read: a fleet's whole raw history does not fit in memory, nor does it need to. */
export interface StoreReadLimits {
  /** Only telemetry at or after this time (absent: all the store holds). */
  sinceMs?: number;
  /** At most this many hosts of the kind, spread evenly over the hosts in id order (absent: all). */
  maxHosts?: number;
}

/**
 * The hosts to read: every one of the kind, or maxHosts of them spread evenly over the id order, so a sample of a
 * large fleet reaches across it (racks, rows and machine generations are usually named in order) and is the same
 * from one run to the next.
 */
export function spreadHosts<T>(hosts: readonly T[], maxHosts: number | undefined): T[] {
  if (maxHosts === undefined || hosts.length <= maxHosts) return [...hosts];
  return Array.from({ length: maxHosts }, (_, i) => hosts[Math.floor((i * hosts.length) / maxHosts)] as T);
}

/**
 * Stored hosts' telemetry as sequences of consecutive periods (a gap longer than two periods starts a new
 * sequence: the model's windows assume one sample per period), split in time per host: the first 70 % trains, the
 * next 10 % validates, the last 20 % is held out — the model is judged on a future it has not seen. Only the hosts
 * of one kind of cooling are read (liquid = the birth announces a pump the controller may command), within `limits`.
 */
export async function sequencesFromStore(store: TelemetryStore, source: string, cooling: CoolingKind = "air", limits: StoreReadLimits = {}): Promise<StoreSplit & { hostsRead: number; hostsOfKind: number }> {
  const split: StoreSplit = { train: [], validation: [], heldOut: [], periodMs: 1000 };
  const ofKind = (await store.listHosts())
    .filter((host) => host.birth !== undefined && (controlsPump(host.birth.capabilities) ? "liquid" : "air") === cooling)
    .sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0));
  const chosen = spreadHosts(ofKind, limits.maxHosts);
  for (const host of chosen) {
    const birth = host.birth;
    if (!birth) continue;
    split.periodMs = birth.periodMs;
    const runs: ThermalSample[][] = [];
    let run: ThermalSample[] = [];
    let lastTs: number | undefined;
    for (let fromMs = limits.sinceMs ?? Number.MIN_SAFE_INTEGER; ; ) {
      const page = await store.telemetryRange(host.hostId, fromMs, Number.MAX_SAFE_INTEGER, PAGE);
      for (const t of page) {
        if (lastTs !== undefined && t.ts - lastTs > 2 * t.periodMs) {
          runs.push(run);
          run = [];
        }
        run.push(sampleFromView(hostViewFrom(birth, t)));
        lastTs = t.ts;
      }
      const last = page[page.length - 1];
      if (page.length < PAGE || !last) break;
      fromMs = last.ts + 1;
    }
    runs.push(run);
    runs.forEach((samples, r) => {
      const a = Math.floor(samples.length * 0.7);
      const b = Math.floor(samples.length * 0.8);
      const id = `${host.hostId}#${r}`;
      split.train.push({ hostId: id, source, samples: samples.slice(0, a) });
      split.validation.push({ hostId: id, source, samples: samples.slice(a, b) });
      split.heldOut.push({ hostId: id, source, samples: samples.slice(b) });
    });
  }
  return { ...split, hostsRead: chosen.length, hostsOfKind: ofKind.length };
}
