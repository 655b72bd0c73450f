import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { CoolingAgent, type AgentLinkPort } from "../../src/agent/agent.js";
import { parseAgentConfigText } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import type { CoolingActuator } from "../../src/hardware/binding.js";
import { decodeAck, decodeCommand, encode, type Ack, type Command } from "../../src/protocol/index.js";
import { codecReason } from "./codec-reason.js";
import { FuzzRng, fuzzRuns, fuzzSeed } from "./mutator.js";
import { fuzzPayload, T0, validCommand } from "./protocol-gen.js";
import { report, Tally } from "./tally.js";

const RUNS = fuzzRuns(15_000);
const HOST = "sim-000";

/** Why the agent refuses a command: the codec's stages, then CommandLease's checks. */
const AGENT_REASONS = ["invalid:too_large", "invalid:bad_json", "invalid:schema", "wrong_host", "expired", "replayed", "out_of_order"] as const;

function leaseReason(ack: Ack): (typeof AGENT_REASONS)[number] | undefined {
  const reason = ack.reason ?? "";
  if (ack.status === "expired" && /^expiresAt is -?\d+ ms in the past on arrival$/.test(reason)) return "expired";
  if (ack.status !== "rejected") return undefined;
  if (reason.startsWith("wrong host (addressed to ")) return "wrong_host";
  if (reason === "replayed") return "replayed";
  if (/^out of order \(seq \d+ ≤ \d+\)$/.test(reason)) return "out_of_order";
  return undefined;
}

const fans: CoolingActuator = {
  name: "fake-fans",
  channels: 2,
  takeControl: () => Promise.resolve(),
  setPct: () => Promise.resolve(),
  restore: () => Promise.resolve(),
};

const tallies: Tally[] = [];
afterAll(() => report("agent-command", tallies));

describe("CoolingAgent.handleCommand under fuzz", () => {
  it("never throws; every payload is applied-pending or refused with a known reason and a valid ack", () => {
    const config = parseAgentConfigText(readFileSync("config/agent.sim.yaml", "utf8"), "config/agent.sim.yaml", { onWarning: () => undefined });
    const clock = new ManualClock(T0);
    const acks: Ack[] = [];
    const link: AgentLinkPort = {
      start: () => undefined,
      updateBirth: () => undefined,
      publishTelemetry: () => undefined,
      publishAck: (ack) => acks.push(ack),
      stop: () => Promise.resolve(),
      stats: () => ({ connected: true, queued: 0, inFlight: 0, backlogBytes: 0, dropped: 0, tornRecords: 0, published: 0, replayed: 0, connects: 0 }),
    };
    const agent = new CoolingAgent({
      config,
      hostId: HOST,
      boot: "boot-fuzz-0001",
      agentVersion: "fuzz",
      clock,
      logger: silentLogger(),
      sources: [],
      fans,
      createLink: () => link,
    });
    const rng = new FuzzRng(fuzzSeed("agent-command"));
    const tally = new Tally("CoolingAgent.handleCommand", AGENT_REASONS);
    tallies.push(tally);
    let seq = 1;
    let pending: Command | undefined;
    let invalid = 0;
    for (let i = 0; i < RUNS; i++) {
      clock.advance(rng.int(50));
      // Mostly fresh commands for this host; sometimes a stale seq, another host, or an expired one.
      // A mutated seq can jump far ahead (up to 2^53); follow it, or every later command would be out of order.
      seq = Math.max(seq, (pending?.seq ?? 0) + 1);
      seq += rng.chance(0.1) ? -rng.int(3) : 1;
      const seed = validCommand(rng, rng.chance(0.9) ? HOST : "other-host", Math.max(0, seq), clock.nowMs() - (rng.chance(0.1) ? 30_000 : 0));
      const payload = fuzzPayload(rng, seed, validCommand(rng, HOST, seq + 1));
      const decoded = decodeCommand(payload);
      const before = acks.length;
      const invalidBefore = agent.counters.commandsRejectedInvalid;
      agent.handleCommand(Buffer.isBuffer(payload) ? payload : Buffer.from(payload));
      const sent = acks.slice(before);
      for (const ack of sent) {
        const again = decodeAck(encode(ack));
        if (!again.ok) throw new Error(`the agent published an ack that does not decode (iteration ${i}): ${again.reason}\n${encode(ack)}`);
      }
      if (!decoded.ok) {
        invalid++;
        expect(agent.counters.commandsRejectedInvalid - invalidBefore).toBe(1);
        expect(sent).toEqual([]);
        const r = codecReason(decoded.reason);
        if (!r) throw new Error(`unclassifiable codec reason ${decoded.reason}`);
        tally.reject(`invalid:${r}`);
        continue;
      }
      const cmd = decoded.value;
      const own = sent.filter((a) => a.cmdId === cmd.id && a.seq === cmd.seq && a.status !== "superseded");
      const superseded = sent.filter((a) => a.status === "superseded");
      expect(own.length + superseded.length, `iteration ${i}: ${JSON.stringify(sent)}`).toBe(sent.length);
      if (own.length === 1 && own[0]) {
        const reason = leaseReason(own[0]);
        if (!reason) throw new Error(`unknown refusal ${own[0].status} "${own[0].reason}" (iteration ${i})`);
        expect(superseded).toEqual([]);
        tally.reject(reason);
      } else {
        expect(own).toEqual([]);
        // Accepted: the command waiting before it (if any) is superseded, and nothing else.
        expect(superseded.map((a) => a.cmdId)).toEqual(pending ? [pending.id] : []);
        pending = cmd;
        tally.accept();
      }
    }
    expect(agent.counters.commandsReceived).toBe(RUNS);
    expect(agent.counters.commandsRejectedInvalid).toBe(invalid);
    tally.assertBalanced();
    expect(tally.total).toBe(RUNS);
    expect(tally.accepted).toBeGreaterThan(RUNS * 0.02);
  });
});
