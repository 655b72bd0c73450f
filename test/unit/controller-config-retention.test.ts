import { describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../src/config/load.js";
import { isCoolfleetError } from "../../src/core/errors.js";

const parse = (store: unknown) => parseControllerConfig({ version: 1, store }, "controller.yaml");

describe("store retention keys in the controller config", () => {
  it("keeps roll-ups 400 days by default, raw telemetry 72 hours", () => {
    const { store } = parse({});
    expect(store.rollUpRetentionHours).toBe(400 * 24);
    expect(store.rawRetentionHours).toBe(72);
    expect(parseControllerConfig({ version: 1 }, "controller.yaml").store.rollUpRetentionHours).toBe(9600);
  });

  it("takes any positive number of hours at least the raw retention", () => {
    expect(parse({ rollUpRetentionHours: 24 * 365 * 2 }).store.rollUpRetentionHours).toBe(17_520);
    expect(parse({ rawRetentionHours: 48, rollUpRetentionHours: 48 }).store.rollUpRetentionHours).toBe(48);
    expect(parse({ rawRetentionHours: 0.5, rollUpRetentionHours: 1.5 }).store.rollUpRetentionHours).toBe(1.5);
  });

  it("refuses a value that is not a positive number, naming the key", () => {
    for (const bad of [0, -24, "400d", null]) {
      try {
        parse({ rollUpRetentionHours: bad });
        expect.unreachable(`rollUpRetentionHours ${JSON.stringify(bad)} was accepted`);
      } catch (err) {
        expect(isCoolfleetError(err, "CONFIG_INVALID")).toBe(true);
        expect((err as Error).message).toMatch(new RegExp(`^controller\\.yaml: invalid controller config\\n  store\\.rollUpRetentionHours: .*; got ${JSON.stringify(bad)}$`));
      }
    }
  });

  it("refuses roll-ups kept shorter than raw telemetry, naming both keys", () => {
    expect(() => parse({ rollUpRetentionHours: 48 })).toThrow(
      /store\.rollUpRetentionHours: must be at least store\.rawRetentionHours \(raw telemetry must not outlive its roll-ups\); got 48/,
    );
    expect(() => parse({ rawRetentionHours: 24 * 500 })).toThrow(/store\.rollUpRetentionHours: must be at least store\.rawRetentionHours/);
  });
});
