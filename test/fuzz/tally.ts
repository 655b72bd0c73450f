import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Outcome counts of one fuzz target: accepted, or rejected for a reason from a declared set. Counting an unknown
 * reason throws at once, so a decoder that starts failing in a new way is noticed, and the table is what the
 * closing note of a fuzz run quotes.
 */
export class Tally {
  total = 0;
  accepted = 0;
  readonly rejected = new Map<string, number>();
  /** Cases that hit a bug already reported (see docs/fuzzing.md): counted apart so the suite stays usable. */
  readonly knownBugs = new Map<string, number>();

  constructor(
    readonly target: string,
    readonly reasons: readonly string[],
  ) {
    for (const r of reasons) this.rejected.set(r, 0);
  }

  accept(): void {
    this.total++;
    this.accepted++;
  }

  reject(reason: string): void {
    if (!this.rejected.has(reason)) throw new Error(`${this.target}: rejection reason "${reason}" is not in the known set (${this.reasons.join(", ")})`);
    this.total++;
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  knownBug(id: string): void {
    this.total++;
    this.knownBugs.set(id, (this.knownBugs.get(id) ?? 0) + 1);
  }

  rejectedTotal(): number {
    let sum = 0;
    for (const n of this.rejected.values()) sum += n;
    return sum;
  }

  knownBugTotal(): number {
    let sum = 0;
    for (const n of this.knownBugs.values()) sum += n;
    return sum;
  }

  /** accepted + Σ rejected + Σ known bugs = total, or throws. */
  assertBalanced(): void {
    const sum = this.accepted + this.rejectedTotal() + this.knownBugTotal();
    if (sum !== this.total) throw new Error(`${this.target}: counts do not add up (${sum} ≠ ${this.total})`);
  }

  rows(): [string, string, number][] {
    const rows: [string, string, number][] = [[this.target, "accepted", this.accepted]];
    for (const [reason, n] of this.rejected) rows.push([this.target, `rejected: ${reason}`, n]);
    for (const [id, n] of this.knownBugs) rows.push([this.target, `KNOWN BUG ${id}`, n]);
    rows.push([this.target, "total", this.total]);
    return rows;
  }
}

/** Prints the tallies as one table and leaves them in test-results/fuzz/<suite>.json for scripts/fuzz-report.mjs. */
export function report(suite: string, tallies: readonly Tally[]): void {
  const rows = tallies.flatMap((t) => t.rows());
  const w0 = Math.max(6, ...rows.map((r) => r[0].length));
  const w1 = Math.max(7, ...rows.map((r) => r[1].length));
  const lines = [`${"target".padEnd(w0)}  ${"outcome".padEnd(w1)}  count`, ...rows.map(([t, o, n]) => `${t.padEnd(w0)}  ${o.padEnd(w1)}  ${String(n).padStart(7)}`)];
  console.log(`fuzz ${suite}\n${lines.join("\n")}`);
  const dir = join("test-results", "fuzz");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${suite}.json`), `${JSON.stringify({ suite, rows }, null, 2)}\n`);
}
