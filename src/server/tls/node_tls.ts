/**
 * A node's TLS (docs/tls.md, docs/decisions/0012-tls.md): its certificate, key and CA read
 * from their files, the TLS settings of each port, and the reload on SIGHUP.
 *
 * - Protobuf port (clients and peers): with a CA, every client is asked for a certificate,
 *   and kv_port.ts refuses a peer Hello (node id ≠ 0) on a connection without one the CA
 *   signed; a client (node id 0) may still come without.
 * - RESP and HTTP ports: no certificate asked for, unless `--tls-client-auth`.
 * - `--tls-client-auth`: every port refuses, at the handshake, a client whose certificate the
 *   CA did not sign.
 * - Connections the node dials (peers, the leader, status probes) present the node's own
 *   certificate and check the other node's against the CA and the address dialled.
 *
 * `reload` re-reads the three files and hands them to every listener: new connections use
 * them, open ones keep theirs. A file that cannot be read or used changes nothing.
 */
import {
  CONNECTIONS_MAX,
  TLS_HANDSHAKE_TIMEOUT_MS,
  TLS_HANDSHAKES_MAX,
  TLS_PEM_BYTES_MAX,
} from "../../limits.ts";
import type {
  FetchHandler,
  FileSystem,
  HttpServer,
  ListenOptions,
  Net,
  Platform,
  TlsClientConfig,
  TlsServerConfig,
} from "../../platform/types.ts";
import { errorMessage, InvalidArgumentError } from "../../util/errors.ts";

export interface TlsFileNames {
  readonly cert: string;
  readonly key: string;
  /** The CA that signs the cluster's certificates: peers must present one it signed. */
  readonly ca?: string;
  /** Every client of every port must present a certificate the CA signed. */
  readonly clientAuth?: boolean;
}

export type TlsPort = "protobuf" | "resp" | "http";

interface Pem {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

/** Something serving with the node's certificate: a listener or the HTTPS server. */
interface Rotatable {
  readonly port: TlsPort;
  setTls?(tls: TlsServerConfig): void;
}

export class NodeTls {
  #pem: Pem;
  readonly #serving: Rotatable[] = [];

  /** Reads the files; throws InvalidArgumentError naming the file that cannot be read. */
  constructor(readonly fs: FileSystem, readonly files: TlsFileNames) {
    if (files.clientAuth === true && files.ca === undefined) {
      throw new InvalidArgumentError("--tls-client-auth needs --tls-ca");
    }
    this.#pem = this.#read();
  }

  /** Peers on the protobuf port must present a certificate the CA signed. */
  get verifiesPeers(): boolean {
    return this.files.ca !== undefined;
  }

  server(port: TlsPort): TlsServerConfig {
    const { cert, key, ca } = this.#pem;
    return {
      cert,
      key,
      ...(ca === undefined ? {} : { ca }),
      requestCert: port === "protobuf" && ca !== undefined,
      requireCert: this.files.clientAuth === true,
      handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
      socketsMax: CONNECTIONS_MAX + TLS_HANDSHAKES_MAX,
    };
  }

  /** What the node presents and trusts when it dials another node. */
  client(): TlsClientConfig {
    const { cert, key, ca } = this.#pem;
    return {
      cert,
      key,
      ...(ca === undefined ? {} : { ca }),
      handshakeTimeoutMs: TLS_HANDSHAKE_TIMEOUT_MS,
    };
  }

  /** `platform` whose connections are dialled with TLS (listening is left to the ports). */
  dialing(platform: Platform): Platform {
    const inner = platform.net;
    const net: Net = {
      listen: (options, onConn) => inner.listen(options, onConn),
      connect: (hostname, port) => inner.connect(hostname, port, this.client()),
    };
    return { ...platform, net };
  }

  /** A Net whose listeners serve TLS with `port`'s settings, and rotate on reload. */
  listening(net: Net, port: TlsPort): Net {
    return {
      listen: async (options, onConn) => {
        const listener = await net.listen({ ...options, tls: this.server(port) }, onConn);
        this.#serving.push({ port, setTls: (tls) => listener.setTls?.(tls) });
        return listener;
      },
      connect: (hostname, p, tls) => net.connect(hostname, p, tls),
    };
  }

  async serveHttps(
    platform: Platform,
    fetch: FetchHandler,
    options: ListenOptions,
  ): Promise<HttpServer> {
    const server = await platform.serveHttp(fetch, { ...options, tls: this.server("http") });
    this.#serving.push({ port: "http", setTls: (tls) => server.setTls?.(tls) });
    return server;
  }

  /**
   * Re-reads the files and gives them to every port. Throws (changing nothing) when a file
   * cannot be read or its certificate and key cannot be used.
   */
  reload(): void {
    const previous = this.#pem;
    this.#pem = this.#read();
    try {
      for (const s of this.#serving) s.setTls?.(this.server(s.port));
    } catch (err) {
      // The first port refused them (each checks the same files): nothing was changed.
      this.#pem = previous;
      throw err;
    }
  }

  #read(): Pem {
    const { cert, key, ca } = this.files;
    return {
      cert: readPemFile(this.fs, cert, "--tls-cert"),
      key: readPemFile(this.fs, key, "--tls-key"),
      ...(ca === undefined ? {} : { ca: readPemFile(this.fs, ca, "--tls-ca") }),
    };
  }
}

/** A PEM file's text; throws InvalidArgumentError, naming `flag`, when it cannot be read. */
export function readPemFile(fs: FileSystem, path: string, flag: string): string {
  let stat;
  try {
    stat = fs.stat(path);
  } catch (err) {
    throw new InvalidArgumentError(`${flag} ${path}: ${errorMessage(err)}`);
  }
  if (stat === undefined) throw new InvalidArgumentError(`${flag} ${path}: no such file`);
  if (stat.isDirectory || stat.size > TLS_PEM_BYTES_MAX) {
    throw new InvalidArgumentError(
      `${flag} ${path}: not a file of at most ${TLS_PEM_BYTES_MAX} bytes`,
    );
  }
  try {
    return new TextDecoder().decode(fs.readFile(path));
  } catch (err) {
    throw new InvalidArgumentError(`${flag} ${path}: ${errorMessage(err)}`);
  }
}
