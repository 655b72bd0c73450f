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

/**
 * Every stored host's telemetry as sequences of consecutive periods (a gap longer than two periods starts a new
 * sequence: the model's windows assume one sample per period), split in time per host: the first 70 % trains, the
 * next 10 % validates, the last 20 % is held out — the model is judged on a future it has not seen. Only the hosts
 * of one kind of cooling are read (liquid = the birth announces a pump the controller may command).
 */
export async function sequencesFromStore(store: TelemetryStore, source: string, cooling: CoolingKind = "air"): Promise<StoreSplit> {
  const split: StoreSplit = { train: [], validation: [], heldOut: [], periodMs: 1000 };
  for (const host of await store.listHosts()) {
    const birth = host.birth;
    if (!birth) continue;
    if ((controlsPump(birth.capabilities) ? "liquid" : "air") !== cooling) continue;
    split.periodMs = birth.periodMs;
    const runs: ThermalSample[][] = [];
    let run: ThermalSample[] = [];
    let lastTs: number | undefined;
    for (let fromMs = Number.MIN_SAFE_INTEGER; ; ) {
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
  return split;
}
