/** Workloads: what the simulated hosts are asked to do over time (reference W1–W4, W7, W10) and replayed CSV traces. */
export type { Workload, WorkloadId, WorkloadOptions, WorkloadPoint } from "./workload.js";
export { createWorkload } from "./synthetic.js";
export { loadTraceCsv, parseTraceCsv } from "./trace-csv.js";
