import { readSecretFile } from "./secret-file.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";

/** The TLS keys of an agent's or controller's broker block. */
export interface BrokerTlsFiles {
  url: string;
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

export interface BrokerTlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * Reads the CA, client certificate and key a broker block names, for mqtt.connect. Read once at start: a
 * renewed certificate takes effect when the service restarts. Errors name the config key.
 */
export function brokerTlsOptions(broker: BrokerTlsFiles): BrokerTlsOptions {
  const named = (["caFile", "certFile", "keyFile"] as const).filter((k) => broker[k] !== undefined);
  if (named.length === 0) return {};
  if ((broker.certFile === undefined) !== (broker.keyFile === undefined)) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, "broker.certFile and broker.keyFile go together: set both (the client certificate and its key) or neither");
  }
  if (!/^(mqtts|wss|ssl):\/\//.test(broker.url)) {
    throw new CoolfleetError(
      ErrorCode.ConfigInvalid,
      `broker.${named.join(", broker.")} needs an mqtts:// or wss:// broker.url (TLS); got "${broker.url}", where the files would be ignored`,
    );
  }
  const ca = readSecretFile("broker.caFile", broker.caFile);
  const cert = readSecretFile("broker.certFile", broker.certFile);
  const key = readSecretFile("broker.keyFile", broker.keyFile);
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert } : {}), ...(key !== undefined ? { key } : {}) };
}
