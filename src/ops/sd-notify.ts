import { spawn } from "node:child_process";
import type { Logger } from "../core/logger.js";

/**
 * Sends one sd_notify message (newline-joined "KEY=VALUE" fields). Resolves once it was delivered or given up;
 * never rejects: a service manager that cannot be told must not stop the service.
 */
export type NotifyTransport = (fields: readonly string[]) => Promise<void>;

/** systemd-notify waits (BARRIER=1) up to 5 s for the manager; past this something is wrong and we move on. */
const SYSTEMD_NOTIFY_TIMEOUT_MS = 10_000;

/**
 * The transport through the systemd-notify program. Node.js has no AF_UNIX datagram sockets, and the notify socket
 * is one; a native addon is not worth it for a message every ten seconds. systemd-notify (v246+) waits until the
 * manager has read the message before it exits, so the manager can still find the sender's cgroup — that is what
 * lets NotifyAccess=all attribute the message to our unit (NotifyAccess=main would drop it: the sender is the
 * child, not the main PID).
 */
export function systemdNotifyTransport(logger: Logger, command = "systemd-notify"): NotifyTransport {
  let warnedMissing = false;
  return (fields) =>
    new Promise<void>((resolve) => {
      const child = spawn(command, [...fields], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), SYSTEMD_NOTIFY_TIMEOUT_MS);
      child.once("error", (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (!warnedMissing) {
          warnedMissing = true;
          logger.warn({ err: err.message, command }, err.code === "ENOENT" ? "NOTIFY_SOCKET is set but systemd-notify is not installed; service manager not notified" : "cannot run systemd-notify");
        }
        resolve();
      });
      child.once("close", (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) logger.warn({ code, signal, stderr: stderr.trim(), fields: fields.map(firstKey) }, "systemd-notify failed");
        resolve();
      });
    });
}

function firstKey(field: string): string {
  return field.split("=", 1)[0] ?? field;
}

/**
 * sd_notify for a service: READY=1, WATCHDOG=1, STOPPING=1 and STATUS= lines. A no-op outside a Type=notify unit
 * (NOTIFY_SOCKET unset). Messages go out one at a time, in order; a watchdog ping asked for while another message
 * is still on its way is dropped rather than queued, since the next one comes soon and queued pings prove nothing.
 */
export class ServiceNotifier {
  private chain: Promise<void> = Promise.resolve();
  private inFlight = 0;

  constructor(private readonly transport: NotifyTransport | undefined) {}

  /** From the environment systemd gives a Type=notify service. */
  static fromEnv(logger: Logger, env: NodeJS.ProcessEnv = process.env): ServiceNotifier {
    return new ServiceNotifier(env["NOTIFY_SOCKET"] ? systemdNotifyTransport(logger) : undefined);
  }

  get enabled(): boolean {
    return this.transport !== undefined;
  }

  ready(status?: string): Promise<void> {
    return this.send(["READY=1", ...statusField(status)]);
  }

  status(status: string): Promise<void> {
    return this.send(statusField(status));
  }

  /** Returns false when the ping was dropped because a message is still being delivered. */
  watchdog(status?: string): boolean {
    if (!this.transport || this.inFlight > 0) return false;
    void this.send(["WATCHDOG=1", ...statusField(status)]);
    return true;
  }

  stopping(status?: string): Promise<void> {
    return this.send(["STOPPING=1", ...statusField(status)]);
  }

  /** Resolves when every message sent so far has been delivered or given up. */
  idle(): Promise<void> {
    return this.chain;
  }

  private send(fields: string[]): Promise<void> {
    const transport = this.transport;
    if (!transport || fields.length === 0) return Promise.resolve();
    this.inFlight++;
    this.chain = this.chain
      .then(() => transport(fields))
      .catch(() => undefined)
      .finally(() => this.inFlight--);
    return this.chain;
  }
}

/** STATUS= is one line: a newline would start a new field. */
function statusField(status: string | undefined): string[] {
  return status === undefined ? [] : [`STATUS=${status.replace(/[\r\n]+/g, " ")}`];
}
