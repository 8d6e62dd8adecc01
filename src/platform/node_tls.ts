/**
 * TLS listeners and connections over node:tls, on both runtimes (docs/decisions/0012-tls.md).
 * Bun's own TLS sockets (Bun.listen `tls`) cannot change their certificate while listening —
 * `listener.reload` keeps the old one, measured — and certificates must rotate on SIGHUP, so Bun
 * takes node:tls too; plain TCP keeps each runtime's fastest socket API.
 *
 * Both runtimes keep the socket of a handshake that timed out open (a ClientHello cut short and
 * left hanging) unless `tlsClientError` destroys it, measured; so it destroys every failed one.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import * as tls from "node:tls";
import { InvalidArgumentError, IoError } from "../util/errors.ts";
import { NodeConn } from "./node_conn.ts";
import type { Conn, Listener, ListenOptions, TlsClientConfig, TlsServerConfig } from "./types.ts";

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Throws InvalidArgumentError naming what is wrong: a certificate or key that does not parse,
 * or a key that is not the certificate's. Deno's node:tls would take them and fail every
 * handshake later; Bun's would throw a bare OpenSSL code.
 */
export function checkTlsPem(cert: string, key: string, ca?: string): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert);
  } catch (err) {
    throw new InvalidArgumentError(`the TLS certificate is not a PEM certificate (${reason(err)})`);
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(key));
  } catch (err) {
    throw new InvalidArgumentError(`the TLS key is not a PEM private key (${reason(err)})`);
  }
  if (!matches) throw new InvalidArgumentError("the TLS key does not belong to the certificate");
  if (ca === undefined) return;
  try {
    new X509Certificate(ca);
  } catch (err) {
    throw new InvalidArgumentError(`the TLS CA is not a PEM certificate (${reason(err)})`);
  }
}

function contextOptions(config: TlsServerConfig): tls.SecureContextOptions {
  checkTlsPem(config.cert, config.key, config.ca);
  const { cert, key, ca } = config;
  return ca === undefined ? { cert, key } : { cert, key, ca };
}

/** What a verified peer certificate names: subjectAltName DNS and IP entries, else its CN. */
function certificateNames(socket: tls.TLSSocket): string[] | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  const alt = (cert.subjectaltname ?? "").split(",").map((e) => e.trim())
    .map((e) => /^(?:DNS|IP Address):(.+)$/.exec(e)?.[1]?.toLowerCase())
    .filter((n): n is string => n !== undefined);
  const cn = typeof cert.subject?.CN === "string" ? cert.subject.CN.toLowerCase() : undefined;
  return alt.length > 0 ? alt : cn === undefined ? [] : [cn];
}

/** A TLS listener; `setTls` swaps the certificate, key and CA for the connections to come. */
export function listenTls(
  options: ListenOptions,
  config: TlsServerConfig,
  onConn: (conn: Conn) => void,
): Promise<Listener> {
  return startTlsServer(options, config, (socket) => {
    onConn(new NodeConn(socket, socket.authorized, certificateNames(socket)));
  });
}

/**
 * A node:tls server handing each socket whose handshake succeeded to `onSocket`. `close`
 * stops listening; with `destroyOnClose` it also destroys the sockets still open (an HTTP
 * server's idle keep-alive connections), as Bun.serve's `stop(true)` does.
 */
export function startTlsServer(
  options: ListenOptions,
  config: TlsServerConfig,
  onSocket: (socket: tls.TLSSocket) => void,
  destroyOnClose = false,
): Promise<Listener> {
  const where = `${options.hostname}:${options.port}`;
  let context: tls.SecureContextOptions;
  try {
    context = contextOptions(config);
  } catch (err) {
    return Promise.reject(new IoError(`Cannot listen with TLS on ${where}: ${reason(err)}`));
  }
  const open = new Set<tls.TLSSocket>();
  return new Promise((resolve, reject) => {
    const server = tls.createServer({
      ...context,
      requestCert: config.requestCert === true || config.requireCert === true,
      rejectUnauthorized: config.requireCert === true,
      handshakeTimeout: config.handshakeTimeoutMs,
    }, (socket) => {
      if (destroyOnClose) {
        open.add(socket);
        socket.once("close", () => open.delete(socket));
      }
      onSocket(socket);
    });
    server.maxConnections = config.socketsMax;
    server.on("tlsClientError", (_err: Error, socket: tls.TLSSocket) => socket.destroy());
    server.once("error", (err: Error) => reject(new IoError(`Cannot listen: ${err.message}`)));
    server.listen(options.port, options.hostname, () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : options.port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if (destroyOnClose) { for (const socket of open) socket.destroy(); }
          }),
        setTls: (next) => server.setSecureContext(contextOptions(next)),
      });
    });
  });
}

/** Resolves once the handshake verified the server (its chain and the name dialled). */
export function connectTls(hostname: string, port: number, config: TlsClientConfig): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const { ca, cert, key } = config;
    const socket = tls.connect({
      host: hostname,
      port,
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined || key === undefined ? {} : { cert, key }),
    });
    const fail = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new IoError(`Cannot connect to ${hostname}:${port}: ${err.message}`));
    };
    const timer = setTimeout(
      () => fail(new Error(`TLS handshake not finished in ${config.handshakeTimeoutMs} ms`)),
      config.handshakeTimeoutMs,
    );
    socket.once("error", fail);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve(new NodeConn(socket, socket.authorized, certificateNames(socket)));
    });
  });
}
