import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { cliEntry, waitFor, type CliProcess } from "../helpers/cli.js";

/**
 * systemd's end of sd_notify for process-level tests: a unix datagram socket, every message received, in order.
 * Node cannot bind AF_UNIX datagram sockets; python3 stands in for systemd's receiving end. It closes the file
 * descriptor systemd-notify passes with BARRIER=1, as systemd does, so the sender does not wait 5 s for a timeout.
 */
const RECEIVER = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(data) - len(data) % 4, 4):
                os.close(int.from_bytes(data[i:i + 4], sys.byteorder))
    print(json.dumps({"message": msg.decode()}), flush=True)
`;

export interface NotifySocket {
  path: string;
  messages: string[];
  close(): void;
}

export async function listenNotifySocket(path: string): Promise<NotifySocket> {
  const python = spawnSync("python3", ["--version"]);
  if (python.status !== 0) throw new Error("python3 is needed to receive sd_notify datagrams: sudo apt-get install -y python3");
  const child = spawn("python3", ["-c", RECEIVER, path], { stdio: ["ignore", "pipe", "inherit"] });
  const messages: string[] = [];
  let listening = false;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const event = JSON.parse(line) as { listening?: boolean; message?: string };
    if (event.listening) listening = true;
    if (event.message !== undefined) messages.push(event.message);
  });
  await waitFor("the notify socket", () => listening);
  return { path, messages, close: () => child.kill("SIGTERM") };
}

/** The compiled coolfleet command with extra environment (NOTIFY_SOCKET, WATCHDOG_USEC, RUNTIME_DIRECTORY…). */
export function runCliWithEnv(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, [cliEntry(), ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let text = "";
  child.stdout?.on("data", (c: Buffer) => (text += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (text += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, output: () => text, exited };
}

