import { createRng, type Rng } from "../../firmware-sim/rng.js";

/**
 * A small seeded mutator for the fuzz suites: byte-level damage (bit flips, inserts, deletes, truncation, splices),
 * text-level damage (lines, tokens) and structure-aware JSON damage (type confusion, huge numbers, NaN/Infinity
 * strings, deep nesting, unicode). Every choice comes from one pure-rand stream, so a failing case is reproduced by
 * its seed and iteration number alone.
 */

/** Iterations for a suite: the default times COOLFLEET_FUZZ_RUNS (a positive number, default 1). */
export function fuzzRuns(base: number): number {
  const raw = process.env["COOLFLEET_FUZZ_RUNS"];
  const factor = raw === undefined || raw === "" ? 1 : Number(raw);
  if (!Number.isFinite(factor) || factor <= 0) throw new Error(`COOLFLEET_FUZZ_RUNS must be a positive number; got ${JSON.stringify(raw)}`);
  return Math.max(1, Math.round(base * factor));
}

/** Seed of every suite; COOLFLEET_FUZZ_SEED overrides it to explore a different stream. */
export function fuzzSeed(suite: string): number {
  const raw = process.env["COOLFLEET_FUZZ_SEED"];
  const base = raw === undefined || raw === "" ? 20_240_601 : Number(raw);
  let h = base >>> 0;
  for (let i = 0; i < suite.length; i++) h = (Math.imul(h ^ suite.charCodeAt(i), 0x01000193) >>> 0);
  return h;
}

/** Seeded choices on top of the simulator's Rng (pure-rand xoroshiro128+). */
export class FuzzRng {
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = createRng(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.rng.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.rng.next() * n);
  }

  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.rng.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from an empty list");
    return items[this.int(items.length)] as T;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** Values that break parsers: boundaries, non-finite spellings, exponents, unicode look-alikes. */
export const INTERESTING_TOKENS: readonly string[] = [
  "0", "-0", "-1", "1", "255", "256", "65535", "65536", "-32768", "2147483647", "4294967296",
  "9007199254740993", "18446744073709551615", "1e308", "1e309", "-1e309", "1e-400", "0.1", "1.5", "+5", "0x1f", "0b11",
  "NaN", "Infinity", "-Infinity", "null", "true", "false", "undefined", "[]", "{}", '""', "''",
  "9".repeat(400), "-" + "9".repeat(400), "١٢٣", "１２", "\u0000", "\uFFFD", "\u202E", "é", "🔥", "\t", "\r\n", " ",
  "|", ":", ",", "#", "&a", "*a", "!!str", "---", "...", "__proto__", "constructor",
];

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x5b, 0x5d, 0x7b, 0x7d, 0x5c];

/** Applies 1..maxOps byte-level mutations; the result may be empty. */
export function mutateBytes(rng: FuzzRng, input: Uint8Array, maxOps = 4, donor?: Uint8Array): Buffer {
  let buf = Buffer.from(input);
  const ops = rng.range(1, maxOps);
  for (let op = 0; op < ops; op++) {
    const at = rng.int(buf.length + 1);
    switch (rng.int(9)) {
      case 0: // bit flip
        if (buf.length > 0) {
          const i = Math.min(at, buf.length - 1);
          buf[i] = (buf[i] ?? 0) ^ (1 << rng.int(8));
        }
        break;
      case 1: // random byte(s) in place
        for (let i = at; i < Math.min(buf.length, at + rng.range(1, 4)); i++) buf[i] = rng.int(256);
        break;
      case 2: // interesting byte in place
        if (buf.length > 0) buf[Math.min(at, buf.length - 1)] = rng.pick(INTERESTING_BYTES);
        break;
      case 3: // insert random bytes
        buf = Buffer.concat([buf.subarray(0, at), rng.bytes(rng.range(1, 8)), buf.subarray(at)]);
        break;
      case 4: // delete a run
        buf = Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + rng.range(1, 16)))]);
        break;
      case 5: // truncate
        buf = buf.subarray(0, at);
        break;
      case 6: // duplicate a chunk
        {
          const len = rng.range(1, 32);
          buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at, at + len), buf.subarray(at)]);
        }
        break;
      case 7: // splice with a donor (another seed) or itself
        {
          const other = donor && donor.length > 0 ? Buffer.from(donor) : buf;
          const from = rng.int(other.length + 1);
          buf = Buffer.concat([buf.subarray(0, at), other.subarray(from, from + rng.range(1, 64))]);
        }
        break;
      default: // interesting token
        buf = Buffer.concat([buf.subarray(0, at), Buffer.from(rng.pick(INTERESTING_TOKENS)), buf.subarray(at)]);
        break;
    }
  }
  return buf;
}

/** Line- and token-level mutations of text (kernel files, ipmitool output, YAML). */
export function mutateText(rng: FuzzRng, text: string, maxOps = 3): string {
  let lines = text.split("\n");
  const ops = rng.range(1, maxOps);
  for (let op = 0; op < ops; op++) {
    const i = rng.int(Math.max(1, lines.length));
    const line = lines[i] ?? "";
    switch (rng.int(8)) {
      case 0:
        lines.splice(i, 1);
        break;
      case 1:
        lines.splice(i, 0, line);
        break;
      case 2: {
        const j = rng.int(Math.max(1, lines.length));
        [lines[i], lines[j]] = [lines[j] ?? "", line];
        break;
      }
      case 3: {
        // replace one whitespace-separated token
        const tokens = line.split(/(\s+)/);
        const t = rng.int(Math.max(1, tokens.length));
        tokens[t] = rng.pick(INTERESTING_TOKENS);
        lines[i] = tokens.join("");
        break;
      }
      case 4: // insert a token at a random column
        {
          const col = rng.int(line.length + 1);
          lines[i] = line.slice(0, col) + rng.pick(INTERESTING_TOKENS) + line.slice(col);
        }
        break;
      case 5: // indentation damage (YAML) / column shift
        lines[i] = rng.chance(0.5) ? `  ${line}` : line.replace(/^\s+/, "");
        break;
      case 6: // truncate the text here
        lines = lines.slice(0, i + 1);
        lines[i] = line.slice(0, rng.int(line.length + 1));
        break;
      default: // byte-level damage to one line
        lines[i] = mutateBytes(rng, Buffer.from(line, "utf8"), 2).toString("utf8");
        break;
    }
  }
  return lines.join(rng.chance(0.1) ? "\r\n" : "\n");
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const KEYS = ["v", "host", "id", "seq", "ts", "value", "kind", "unit", "online", "__proto__", "constructor", "", "é", "a".repeat(70)];

/** Scalars with type confusion: NaN/Infinity as strings, huge and negative numbers, odd unicode, empty. */
export function randomScalar(rng: FuzzRng): Json {
  switch (rng.int(10)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -0, -1, 1, 0.5, 1e21, -1e21, 2 ** 53, 2 ** 53 + 2, Number.MAX_VALUE, Number.MIN_VALUE, 1.7e308, 100, 100.0001, 64, 65]);
    case 3:
      return Math.floor(rng.next() * 2 ** 32) - 2 ** 31;
    case 4:
      return rng.next() * 200 - 50;
    case 5:
      return rng.pick(["NaN", "Infinity", "-Infinity", "1e309", "0x10", "12", "", " ", "null", "true"]);
    case 6:
      return rng.pick(["h1", "sim-000", "bad/host", "+", "#", "a".repeat(65), "host with space", "é", "🔥", "\u0000", "\u202Eevil"]);
    case 7:
      return rng.pick(["temperature", "fan", "C", "rpm", "ok", "stale", "local", "remote", "applied", "full", "monitor"]);
    case 8:
      return "x".repeat(rng.pick([0, 1, 7, 8, 64, 65, 128, 129, 200, 201, 1000]));
    default:
      return String.fromCodePoint(rng.int(0x11000));
  }
}

/** A random JSON value up to depth; with small probability a very deep chain (recursion limits). */
export function randomJson(rng: FuzzRng, depth = 4): Json {
  // Only from the top (depth ≥ 4): a deep chain inside a structural mutation would make paths() quadratic.
  // Deeper nesting than this comes as text (deepJsonText): building it as a value overflows our own stack first.
  if (depth >= 4 && rng.chance(0.01)) return deepNest(rng.range(50, 400));
  if (depth <= 0 || rng.chance(0.4)) return randomScalar(rng);
  if (rng.chance(0.4)) return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth - 1));
  const obj: { [key: string]: Json } = {};
  for (let i = rng.int(6); i > 0; i--) setOwn(obj, rng.chance(0.7) ? rng.pick(KEYS) : JSON.stringify(randomScalar(rng)), randomJson(rng, depth - 1));
  return obj;
}

/** obj[key] = value as an own property, as JSON.parse makes it: assigning "__proto__" would set the prototype. */
function setOwn(obj: object, key: string, value: Json): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function deepNest(levels: number): Json {
  let v: Json = 1;
  for (let i = 0; i < levels; i++) v = i % 2 === 0 ? [v] : { a: v };
  return v;
}

/** Nesting far past any recursion limit, as text: "[[[…1…]]]" or {"a":{"a":…}}, possibly unbalanced. */
export function deepJsonText(rng: FuzzRng): string {
  const levels = rng.range(1_000, 20_000);
  const [open, close] = rng.chance(0.5) ? ["[", "]"] : ['{"a":', "}"];
  return `${open.repeat(levels)}1${close.repeat(rng.chance(0.9) ? levels : levels - 1)}`;
}

/** Every path (keys and indices) to a node of a JSON value, the root included. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function clone(value: Json): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

/**
 * Structure-aware damage to a valid message: at one or more nodes, replace the value (type confusion), drop or add
 * a key, grow or empty an array, nudge a number across a boundary. Most results stay JSON, so they reach the schema.
 */
export function mutateJson(rng: FuzzRng, input: Json, maxOps = 3): Json {
  let root = clone(input);
  const ops = rng.range(1, maxOps);
  for (let op = 0; op < ops; op++) {
    const all = paths(root);
    const path = rng.pick(all);
    if (path.length === 0) {
      if (rng.chance(0.2)) root = randomJson(rng);
      continue;
    }
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1] as string | number;
    let parent: Json = root;
    for (const k of parentPath) parent = (parent as Record<string | number, Json>)[k] as Json;
    const container = parent as Record<string | number, Json> & Json[];
    const current = container[key] as Json;
    switch (rng.int(8)) {
      case 0:
        container[key] = randomScalar(rng);
        break;
      case 1:
        container[key] = randomJson(rng, 2);
        break;
      case 2:
        if (Array.isArray(container)) container.splice(key as number, 1);
        else delete container[key];
        break;
      case 3:
        if (Array.isArray(container)) container.push(clone(current));
        else setOwn(container, rng.pick(KEYS), randomScalar(rng));
        break;
      case 4: // numeric boundary nudges
        if (typeof current === "number") container[key] = rng.pick([current + 1, current - 1, -current, current * 1e6, current + 0.5, 0, Number.MAX_SAFE_INTEGER + 1]);
        else container[key] = rng.pick([0, -1, Number.POSITIVE_INFINITY /* serialized as null */]);
        break;
      case 5: // strings: stretch, empty, unicode
        if (typeof current === "string") container[key] = rng.pick(["", current + current, current.slice(1), `${current}\u0000`, `${current}é`, current.toUpperCase(), current.repeat(20)]);
        else container[key] = JSON.stringify(current);
        break;
      case 6: // wrap in an array or object (type confusion one level down)
        container[key] = rng.chance(0.5) ? [current] : { value: current };
        break;
      default: // swap with a sibling value
        {
          const siblings: Json[] = Array.isArray(container) ? container : Object.values<Json>(container);
          if (siblings.length > 0) container[key] = clone(rng.pick(siblings));
        }
        break;
    }
  }
  return root;
}

/** Raw payload text for a JSON decoder: numbers JSON.stringify cannot write (NaN, 1e999), duplicate keys, BOM. */
export function textTweak(rng: FuzzRng, text: string): string {
  switch (rng.int(6)) {
    case 0:
      return text.replace(/:(-?\d+(?:\.\d+)?)/, rng.pick([":NaN", ":Infinity", ":1e999", ":-1e999", ":01", ":1.", ":.5", ":+1", ':"1"']));
    case 1:
      return text.replace(/^\{/, `{"v":2,`);
    case 2:
      return `\uFEFF${text}`;
    case 3:
      return text.replace(/"host":"[^"]*"/, `"host":"${rng.pick(["h1", "other-host", "sim-000", "a/b", ""])}"`);
    case 4:
      return `${text}${rng.pick(["", " ", "\n", "x", "}", ",{}"])}`;
    default:
      return text.replace(/}$/, `,"__proto__":{"v":1},"pad":"${"p".repeat(rng.pick([10, 70_000]))}"}`);
  }
}
