import { describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../src/config/load.js";
import { describeStore } from "../../src/controller/store/describe-store.js";

const parse = (store: unknown) => parseControllerConfig({ version: 1, store }, "controller.yaml");

describe("store.kind dynamodb in the controller config", () => {
  it("takes a region and defaults the rest, createTable off", () => {
    const config = parse({ kind: "dynamodb", dynamodb: { region: "eu-west-1" } });
    expect(config.store.dynamodb).toEqual({ region: "eu-west-1", tableName: "coolfleet", createTable: false });
    expect(describeStore(config.store)).toBe("dynamodb coolfleet (eu-west-1)");
    expect(describeStore(parse({ kind: "dynamodb", dynamodb: { region: "us-east-1", endpoint: "http://127.0.0.1:4567", tableName: "t-1" } }).store)).toBe(
      "dynamodb t-1 (us-east-1 at http://127.0.0.1:4567)",
    );
  });

  it("names the key that is wrong", () => {
    expect(() => parse({ kind: "dynamodb" })).toThrow(/store\.dynamodb: is required with kind dynamodb/);
    expect(() => parse({ kind: "sqlite", dynamodb: { region: "eu-west-1" } })).toThrow(/store\.dynamodb: has no meaning with kind sqlite/);
    expect(() => parse({ kind: "dynamodb", dynamodb: {} })).toThrow(/store\.dynamodb\.region: .*got nothing/);
    expect(() => parse({ kind: "dynamodb", dynamodb: { region: "Europe West" } })).toThrow(/store\.dynamodb\.region: an AWS region such as eu-west-1; got "Europe West"/);
    expect(() => parse({ kind: "dynamodb", dynamodb: { region: "eu-west-1", tableName: "a b" } })).toThrow(/store\.dynamodb\.tableName: 3-255 of A-Z a-z 0-9 _ - \.; got "a b"/);
    expect(() => parse({ kind: "dynamodb", dynamodb: { region: "eu-west-1", endpoint: "127.0.0.1:8000" } })).toThrow(/store\.dynamodb\.endpoint: an http:\/\/ or https:\/\/ URL/);
    expect(() => parse({ kind: "dynamo" })).toThrow(/store\.kind: .*"sqlite".*"dynamodb"/);
  });

  it("has no place for credentials: they come from the SDK's default chain", () => {
    expect(() => parse({ kind: "dynamodb", dynamodb: { region: "eu-west-1", accessKeyId: "AKIA…" } })).toThrow(/store\.dynamodb: unknown key\(s\) "accessKeyId"/);
  });
});
