/** A real mosquitto on a free loopback port, for the integration tests and the benchmarks. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/** A real mosquitto on a free loopback port, with its own config and persistence directory. */
export interface MosquittoBroker {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the broker process (SIGTERM), waiting for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same persistence. */
  start(): Promise<void>;
  /** Stops it and removes its directory. */
  dispose(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, stderr: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}: ${stderr()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`mosquitto did not accept connections on ${port} within ${timeoutMs} ms: ${stderr()}`);
}

function mosquittoBinary(): string {
  return process.env.MOSQUITTO_BIN ?? "/usr/sbin/mosquitto";
}

export async function startMosquitto(extraConfig: string[] = []): Promise<MosquittoBroker> {
  const dir = mkdtempSync(join(tmpdir(), "coolfleet-mosquitto-"));
  const port = await freePort();
  const configFile = join(dir, "mosquitto.conf");
  // Started as root, mosquitto would drop to user "mosquitto" and lose access to this directory.
  writeFileSync(
    configFile,
    [
      `user ${userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      "persistence true",
      `persistence_location ${dir}/`,
      // As config/mosquitto/*.conf: hold a restarting controller's telemetry, not just mosquitto's default 1000.
      "max_queued_messages 1000000",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      ...extraConfig,
      "",
    ].join("\n"),
  );
  let child: ChildProcess | undefined;
  let stderrText = "";

  const start = async (): Promise<void> => {
    stderrText = "";
    const proc = spawn(mosquittoBinary(), ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    proc.stderr?.on("data", (chunk: Buffer) => {
      stderrText += chunk.toString();
    });
    child = proc;
    await waitForPort(port, proc, () => stderrText);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
    });
  };

  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
