export * from "./command-issuer.js";
export * from "./command-seq.js";
export * from "./latency-window.js";
