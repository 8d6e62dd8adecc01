/**
 * TLS for clients (docs/tls.md): PEM text given by the caller (the CLI reads its --tls-*
 * files), turned into what the platform's `connect` takes.
 */
import { TLS_HANDSHAKE_TIMEOUT_MS } from "../limits.ts";
import type { Net, TlsClientConfig } from "../platform/types.ts";
import { TinyKvError } from "./errors.ts";

/** PEM text, not file names. */
export interface ClientTlsOptions {
  /** CA certificates the nodes' certificates must chain to (default: the system's). */
  readonly ca?: string;
  /** A client certificate and its key, for nodes run with --tls-client-auth. */
  readonly cert?: string;
  readonly key?: string;
}

/** Throws INVALID_ARGUMENT when only one of `cert` and `key` is given. */
export function clientTlsConfig(o: ClientTlsOptions): TlsClientConfig {
  if ((o.cert === undefined) !== (o.key === undefined)) {
    throw new TinyKvError("INVALID_ARGUMENT", "a client certificate needs its key", false);
  }
  return {
    ...(o.ca === undefined ? {} : { ca: o.ca }),
    ...(o.cert === undefined || o.key === undefined ? {} : { cert: o.cert, key: o.key }),
    handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
  };
}

/** `net` dialling every connection with TLS. */
export function tlsDialingNet(net: Net, tls: TlsClientConfig): Net {
  return {
    listen: (options, onConn) => net.listen(options, onConn),
    connect: (hostname, port) => net.connect(hostname, port, tls),
  };
}
