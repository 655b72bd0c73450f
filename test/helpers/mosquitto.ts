/** The tests start mosquitto exactly as the benchmarks do. */
export { freePort, startMosquitto, type MosquittoBroker } from "../../bench/mosquitto.js";
