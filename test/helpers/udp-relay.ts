import { createSocket, type Socket } from "node:dgram";

/** What the relay does with each datagram from a client: pass it on, drop it, or pass it on after delayMs. */
export type RelayMode = { kind: "pass" } | { kind: "drop" } | { kind: "delay"; delayMs: number };

export interface UdpRelay {
  /** The loopback port clients send to instead of the target's. */
  readonly port: number;
  readonly counters: { forwarded: number; dropped: number; delayed: number };
  setMode(mode: RelayMode): void;
  close(): Promise<void>;
}

/**
 * A UDP hop between clients (ipmitool, one process and source port per run) and a target (the simulated BMC) that
 * can go silent or slow on demand, in both directions, as a BMC that hangs or a congested management network does.
 */
export async function startUdpRelay(targetPort: number, targetHost = "127.0.0.1"): Promise<UdpRelay> {
  let mode: RelayMode = { kind: "pass" };
  const counters = { forwarded: 0, dropped: 0, delayed: 0 };
  const front = createSocket("udp4");
  /** One socket towards the target per client, so replies find their way back. */
  const backs = new Map<string, Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const deliver = (send: () => void): void => {
    if (mode.kind === "drop") {
      counters.dropped++;
      return;
    }
    if (mode.kind === "delay") {
      counters.delayed++;
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, mode.delayMs);
      timers.add(timer);
      return;
    }
    counters.forwarded++;
    send();
  };

  front.on("message", (msg, rinfo) => {
    const key = `${rinfo.address}:${rinfo.port}`;
    let back = backs.get(key);
    if (!back) {
      const socket = createSocket("udp4");
      socket.on("message", (reply) => deliver(() => front.send(reply, rinfo.port, rinfo.address)));
      socket.on("error", () => undefined);
      backs.set(key, socket);
      back = socket;
    }
    const target = back;
    deliver(() => target.send(msg, targetPort, targetHost));
  });
  const port = await new Promise<number>((resolve, reject) => {
    front.once("error", reject);
    front.bind(0, "127.0.0.1", () => resolve(front.address().port));
  });
  return {
    port,
    counters,
    setMode(next) {
      mode = next;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      for (const s of backs.values()) s.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}
