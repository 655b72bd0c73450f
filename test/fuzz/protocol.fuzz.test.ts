import { afterAll, describe, expect, it } from "vitest";
import { decodeFor } from "../../src/controller/ingest/reject-reason.js";
import { decodeAck, decodeCommand, decodeHostState, decodeTelemetry, encode, type DecodeResult } from "../../src/protocol/index.js";
import { CODEC_REASONS, codecReason } from "./codec-reason.js";
import { FuzzRng, fuzzRuns, fuzzSeed, type Json } from "./mutator.js";
import { fuzzPayload, validMessage, type MessageKind } from "./protocol-gen.js";
import { report, Tally } from "./tally.js";

type Decoder = (p: Buffer | string) => DecodeResult<unknown>;

const DECODERS: Record<MessageKind, { name: string; decode: Decoder }> = {
  telemetry: { name: "decodeTelemetry", decode: decodeTelemetry },
  state: { name: "decodeHostState", decode: decodeHostState },
  cmd: { name: "decodeCommand", decode: decodeCommand },
  ack: { name: "decodeAck", decode: decodeAck },
};

/** 25,000 per decoder: 100,000 payloads at the default COOLFLEET_FUZZ_RUNS=1. */
const RUNS_PER_DECODER = fuzzRuns(25_000);

const tallies: Tally[] = [];
afterAll(() => report("protocol", tallies));

describe("protocol decoders under fuzz", () => {
  for (const kind of Object.keys(DECODERS) as MessageKind[]) {
    const { name, decode } = DECODERS[kind];
    it(`${name}: never throws, classified rejections, accepted payloads round-trip`, () => {
      const rng = new FuzzRng(fuzzSeed(`protocol:${kind}`));
      const tally = new Tally(name, CODEC_REASONS);
      tallies.push(tally);
      for (let i = 0; i < RUNS_PER_DECODER; i++) {
        const host = rng.chance(0.9) ? "h1" : "sim-000";
        const seed = validMessage(rng, kind, host, i) as unknown as Json;
        const donor = validMessage(rng, rng.pick(["telemetry", "state", "cmd", "ack"] as const), host, i + 1) as unknown as Json;
        const payload = fuzzPayload(rng, seed, donor);
        let result: DecodeResult<unknown>;
        try {
          result = decode(payload);
        } catch (err) {
          throw new Error(`${name} threw on iteration ${i} (seed ${fuzzSeed(`protocol:${kind}`)}): ${String(err)}\npayload: ${JSON.stringify(String(payload).slice(0, 400))}`, { cause: err });
        }
        if (result.ok) {
          tally.accept();
          // Round trip: what we accepted re-encodes to something that decodes to the same thing.
          const again = decode(encode(result.value as never));
          if (!again.ok) throw new Error(`${name}: accepted value does not decode after encode (iteration ${i}): ${again.reason}\n${encode(result.value as never)}`);
          expect(encode(again.value as never)).toBe(encode(result.value as never));
        } else {
          const reason = codecReason(result.reason);
          if (!reason) throw new Error(`${name}: unclassifiable rejection "${result.reason}" (iteration ${i})`);
          // Ingest's own classification (one parse on the hot path, by stage) must agree with the codec's words.
          const ingestView = decodeFor(decode, payload);
          expect(ingestView.ok ? "accepted" : ingestView.reason).toBe(reason);
          tally.reject(reason);
        }
      }
      tally.assertBalanced();
      expect(tally.total).toBe(RUNS_PER_DECODER);
      // The generator must reach every stage, or the numbers above say little.
      expect(tally.accepted).toBeGreaterThan(RUNS_PER_DECODER * 0.02);
      for (const r of CODEC_REASONS) expect(tally.rejected.get(r), `${name} never saw ${r}`).toBeGreaterThan(0);
    });
  }
});
