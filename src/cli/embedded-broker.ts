import { createServer, type Server } from "node:net";
import { Aedes } from "aedes";
import { CoolfleetError, ErrorCode } from "../core/errors.js";

/** An in-process MQTT 3.1.1 broker (aedes) for the one-machine demo; production uses mosquitto or any MQTT broker. */
export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        new CoolfleetError(
          ErrorCode.UsageInvalid,
          err.code === "EADDRINUSE" ? `MQTT port ${port} on ${host} is in use: pick another with --mqtt-port` : `cannot start the embedded broker: ${err.message}`,
        ),
      );
    });
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `mqtt://${host}:${boundPort}`,
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        aedes.close(() => server.close(() => resolve()));
      }),
  };
}
