import * as tf from "@tensorflow/tfjs";

/** Which TensorFlow.js backend runs the thermal model. */
export type TfBackendName = "tensorflow" | "wasm" | "cpu";

let selection: Promise<TfBackendName> | undefined;

async function tryBackend(name: TfBackendName): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function select(log: (message: string) => void): Promise<TfBackendName> {
  // tfjs-node is the fast path where it installs; its install downloads libtensorflow, so it is optional and
  // imported by a computed name (no type dependency, no hard failure when it is absent).
  const nodeBackend = "@tensorflow/tfjs-node";
  try {
    await import(nodeBackend);
    if (await tryBackend("tensorflow")) {
      log("thermal model: TensorFlow.js backend tensorflow (tfjs-node)");
      return "tensorflow";
    }
  } catch {
    // Not installed: fall through to wasm.
  }
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    if (await tryBackend("wasm")) {
      log("thermal model: TensorFlow.js backend wasm (tfjs-node not installed)");
      return "wasm";
    }
  } catch (err) {
    log(`thermal model: wasm backend unavailable (${err instanceof Error ? err.message : String(err)})`);
  }
  await tryBackend("cpu");
  log("thermal model: TensorFlow.js backend cpu (slow: neither tfjs-node nor wasm could start)");
  return "cpu";
}

/** Picks the fastest backend available once per process (tfjs-node, then wasm, then plain cpu) and logs it. */
export function selectTfBackend(log: (message: string) => void = () => undefined): Promise<TfBackendName> {
  selection ??= select(log);
  return selection;
}
