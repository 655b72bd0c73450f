import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A virtual serial cable: socat joins two ptys and links them at stable paths a and b. "Unplugging" kills socat,
 * so both ptys vanish (as a USB adapter's tty does); plugging back starts a new socat on the same link paths.
 */
export interface PtyPair {
  readonly dir: string;
  /** The master's end (the agent's ModbusDevice). */
  readonly a: string;
  /** The slave's end (the simulated CDU). */
  readonly b: string;
  readonly plugged: boolean;
  /** Kills socat and waits until it has exited and removed the links. */
  unplug(): Promise<void>;
  /** Starts socat again on the same paths; resolves once both links exist. */
  plug(): Promise<void>;
  dispose(): Promise<void>;
}

const READY_LINE = "starting data transfer loop";

function startSocat(a: string, b: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("socat", ["-d", "-d", `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    const onData = (chunk: Buffer) => {
      stderr += chunk.toString();
      // socat creates both links before it logs (with -d -d) that it is moving data.
      if (stderr.includes(READY_LINE)) {
        child.stderr?.off("data", onData);
        // Keep draining so a chatty socat never blocks on a full pipe.
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stderr?.on("data", onData);
    child.once("error", (err) => reject(new Error(`cannot start socat (Debian package "socat"): ${err.message}`)));
    child.once("exit", (code, signal) => reject(new Error(`socat exited (${code ?? signal}) before the ptys were ready: ${stderr.trim()}`)));
  });
}

function stopSocat(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

export async function startPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), "coolfleet-pty-"));
  const a = join(dir, "master");
  const b = join(dir, "slave");
  let child: ChildProcess | undefined = await startSocat(a, b);
  return {
    dir,
    a,
    b,
    get plugged() {
      return child !== undefined;
    },
    async unplug() {
      if (!child) return;
      const c = child;
      child = undefined;
      await stopSocat(c);
    },
    async plug() {
      if (child) return;
      child = await startSocat(a, b);
    },
    async dispose() {
      if (child) await stopSocat(child);
      child = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
