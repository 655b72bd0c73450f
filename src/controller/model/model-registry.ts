import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CoolingKind } from "./model-layout.js";
import type { ThermalDataset } from "./dataset.js";
import { evaluateModel } from "./evaluation.js";
import { modelFromFile, modelToFile, type ModelFile, type ModelProvenance } from "./model-file.js";
import type { ThermalMlp } from "./thermal-mlp.js";

const VERSION_FILE = /^v(\d{4,})\.json$/;
const CURRENT_FILE = "current.json";

/** Which version serves, and why. */
export interface CurrentPointer {
  version: string;
  promotedAt: string;
  reason: string;
}

export interface LoadedModel {
  version: string;
  file: ModelFile;
  model: ThermalMlp;
}

export interface PromotionDecision {
  promoted: boolean;
  candidateVersion: string;
  /** 60 s CPU MAE of both on the same held-out rows. */
  candidateMaeC: number;
  currentVersion?: string;
  currentMaeC?: number;
  reason: string;
}

function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Versioned thermal models in one directory: v0001.json, v0002.json … and current.json naming the one that serves.
 * A new model is saved as the next version; it becomes current only if it beats the current one on held-out data.
 * No model at all (cold start) means the MPC plans with its fallback baseline (B1). Air- and liquid-cooled hosts have
 * separate registries: `<dir>` and `<dir>/liquid` (liquidRegistryDir).
 */
export class ModelRegistry {
  /** kind: the models this directory must hold; a file of the other kind is refused when loaded. */
  constructor(
    readonly dir: string,
    readonly kind?: CoolingKind,
  ) {}

  versions(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => VERSION_FILE.test(f))
      .map((f) => f.replace(/\.json$/, ""))
      .sort();
  }

  currentPointer(): CurrentPointer | undefined {
    const path = join(this.dir, CURRENT_FILE);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as CurrentPointer) : undefined;
  }

  load(version: string): LoadedModel {
    const { path, file } = this.readFile(version);
    const model = modelFromFile(file, path);
    if (this.kind && model.layout.kind !== this.kind) {
      model.dispose();
      throw new Error(`${path}: a model for ${model.layout.kind}-cooled hosts where ${this.kind}-cooled ones are expected`);
    }
    return { version, file, model };
  }

  /**
   * Hidden units of the serving model, read from its file without building it; undefined at cold start or when the
   * file cannot be read (loading it says why, where it matters).
   */
  currentHidden(): number | undefined {
    try {
      const pointer = this.currentPointer();
      const hidden = pointer ? (this.readFile(pointer.version).file as Partial<ModelFile>).hidden : undefined;
      return typeof hidden === "number" ? hidden : undefined;
    } catch {
      return undefined;
    }
  }

  /** A version's file as stored, parsed; an error naming the file when it cannot be read. */
  private readFile(version: string): { path: string; file: ModelFile } {
    const path = join(this.dir, `${version}.json`);
    try {
      return { path, file: JSON.parse(readFileSync(path, "utf8")) as ModelFile };
    } catch (err) {
      throw new Error(`${path}: cannot read this model file (${err instanceof Error ? err.message : String(err)})`, { cause: err });
    }
  }

  /** The serving model, or undefined at cold start. */
  current(): LoadedModel | undefined {
    const pointer = this.currentPointer();
    return pointer ? this.load(pointer.version) : undefined;
  }

  /** Saves a model as the next version (not promoted). */
  save(model: ThermalMlp, periodMs: number, provenance: ModelProvenance, nowIso: string): string {
    mkdirSync(this.dir, { recursive: true });
    const last = this.versions().at(-1);
    const next = last ? Number(last.slice(1)) + 1 : 1;
    const version = `v${String(next).padStart(4, "0")}`;
    writeAtomically(join(this.dir, `${version}.json`), `${JSON.stringify(modelToFile(model, { version, createdAt: nowIso, periodMs, provenance }))}\n`);
    return version;
  }

  promote(version: string, reason: string, nowIso: string): void {
    const pointer: CurrentPointer = { version, promotedAt: nowIso, reason };
    writeAtomically(join(this.dir, CURRENT_FILE), `${JSON.stringify(pointer, null, 2)}\n`);
  }

  /**
   * Promotes the candidate only if its 60 s CPU error on these held-out rows is lower than the current model's on
   * the same rows (a model never wins by being judged on easier data). The first model is promoted at once.
   */
  promoteIfBetter(candidateVersion: string, candidate: ThermalMlp, heldOut: ThermalDataset, nowIso: string): PromotionDecision {
    const candidateMaeC = evaluateModel(candidate, heldOut).maeC.cpuIn60C ?? Number.POSITIVE_INFINITY;
    const current = this.current();
    if (!current) {
      const reason = `first model (held-out 60 s CPU MAE ${candidateMaeC.toFixed(3)} °C)`;
      this.promote(candidateVersion, reason, nowIso);
      return { promoted: true, candidateVersion, candidateMaeC, reason };
    }
    const currentMaeC = evaluateModel(current.model, heldOut).maeC.cpuIn60C ?? Number.POSITIVE_INFINITY;
    current.model.dispose();
    const better = candidateMaeC < currentMaeC;
    const reason = `held-out 60 s CPU MAE ${candidateMaeC.toFixed(3)} °C vs ${currentMaeC.toFixed(3)} °C for ${current.version}`;
    if (better) this.promote(candidateVersion, reason, nowIso);
    return { promoted: better, candidateVersion, candidateMaeC, currentVersion: current.version, currentMaeC, reason: better ? `promoted: ${reason}` : `kept ${current.version}: ${reason}` };
  }
}

/** Where the models for liquid-cooled hosts live, beside the air models of dir. */
export function liquidRegistryDir(dir: string): string {
  return join(dir, "liquid");
}
