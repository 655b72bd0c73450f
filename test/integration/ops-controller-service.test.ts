import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { listenNotifySocket, runCliWithEnv } from "./ops-service-helpers.js";

/** The real `coolfleet controller` process under a stand-in for systemd's notify socket. */

let broker: MosquittoBroker;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  dir = scratchDir("coolfleet-ops-controller-svc-");
});
afterAll(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const has = (messages: string[], field: string): boolean => messages.some((m) => m.split("\n").includes(field));

describe("coolfleet controller under systemd (ops)", () => {
  it("sends READY=1 once connected and listening, WATCHDOG=1 from its fleet loop, STOPPING=1 on SIGTERM", async () => {
    const configFile = join(dir, "controller.yaml");
    writeFileSync(
      configFile,
      stringify({ version: 1, broker: { url: broker.url, clientId: `ops-svc-${process.pid}` }, http: { host: "127.0.0.1", port: 0 }, store: { path: join(dir, "c.db") } }),
    );
    const socket = await listenNotifySocket(join(dir, "notify.sock"));
    // WatchdogSec=1.5 s: the controller's once-a-second fleet round pings every 0.5 s at most.
    const controller = runCliWithEnv(["controller", "--config", configFile, "--log-level", "warn"], { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: "1500000" });
    try {
      await waitFor("READY=1", () => has(socket.messages, "READY=1"), 15_000);
      expect(controller.output()).toMatch(/coolfleet controller: dashboard http:\/\/127\.0\.0\.1:\d+/);
      expect(socket.messages.find((m) => m.includes("READY=1"))).toMatch(/STATUS=dashboard http:\/\/127\.0\.0\.1:\d+, broker mqtt:\/\//);
      await waitFor("two WATCHDOG=1", () => socket.messages.filter((m) => m.includes("WATCHDOG=1")).length >= 2, 15_000);
      expect(socket.messages.find((m) => m.includes("WATCHDOG=1"))).toContain("STATUS=0/0 hosts online");
      controller.child.kill("SIGTERM");
      expect(await controller.exited, controller.output()).toEqual({ code: 0, signal: null });
      await waitFor("STOPPING=1", () => has(socket.messages, "STOPPING=1"));
    } finally {
      controller.child.kill("SIGKILL");
      socket.close();
    }
  });
});
