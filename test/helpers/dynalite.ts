import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";

/** dynalite (an in-process DynamoDB) on a free loopback port; the stores under test reach it over HTTP like AWS. */
export interface Dynalite {
  readonly endpoint: string;
  close(): Promise<void>;
}

type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** Any values: dynalite checks that requests are signed, not by whom. */
export const DYNALITE_CREDENTIALS = { accessKeyId: "coolfleet-test", secretAccessKey: "coolfleet-test" };

export async function startDynalite(): Promise<Dynalite> {
  // dynalite ships no types; createRequire keeps the one call typed here.
  const dynalite = createRequire(import.meta.url)("dynalite") as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
