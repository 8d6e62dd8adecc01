/**
 * The --tls-* flags (docs/tls.md): a node's certificate, key, CA and client-auth switch, and
 * a client command's CA, certificate and key, read from their files.
 */
import type { Logger } from "../server/log/logger.ts";
import { clientTlsConfig, tlsDialingNet } from "../client/tls_options.ts";
import type { FileSystem, Platform, ProcessHost } from "../platform/types.ts";
import { NodeTls, readPemFile } from "../server/tls/node_tls.ts";
import { errorMessage, InvalidArgumentError } from "../util/errors.ts";
import { UsageError } from "./usage_error.ts";

export interface ServeTlsFlags {
  readonly "tls-cert"?: string;
  readonly "tls-key"?: string;
  readonly "tls-ca"?: string;
  readonly "tls-client-auth"?: boolean;
}

export interface ClientTlsFlags {
  readonly "tls-ca"?: string;
  readonly "tls-cert"?: string;
  readonly "tls-key"?: string;
}

/** The node's TLS, or undefined without --tls-cert; a wrong combination is a UsageError. */
export function nodeTlsOf(flags: ServeTlsFlags, fs: FileSystem): NodeTls | undefined {
  const cert = flags["tls-cert"], key = flags["tls-key"], ca = flags["tls-ca"];
  const clientAuth = flags["tls-client-auth"] === true;
  if (cert === undefined && key === undefined) {
    if (ca !== undefined || clientAuth) {
      throw new UsageError("--tls-ca and --tls-client-auth need --tls-cert and --tls-key");
    }
    return undefined;
  }
  if (cert === undefined || key === undefined) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  try {
    return new NodeTls(fs, { cert, key, ca, clientAuth });
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * SIGHUP re-reads the node's certificate files; a failure keeps the old ones and says why
 * (`tls.reloaded`, `tls.reload_failed`: docs/logging.md).
 */
export function reloadTlsOnSignal(
  tls: NodeTls | undefined,
  host: ProcessHost,
  logger: Logger,
): void {
  if (tls === undefined) return;
  host.onReload?.(() => {
    try {
      tls.reload();
      logger.info("tls.reloaded");
    } catch (err) {
      logger.error("tls.reload_failed", {
        error: `${errorMessage(err)}; keeping the old certificates`,
      });
    }
  });
}

function readPem(fs: FileSystem, path: string | undefined, flag: string): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readPemFile(fs, path, flag);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new UsageError(err.message);
    throw err;
  }
}

/** `platform` dialling with TLS when any --tls-* client flag is given. */
export function withClientTls(flags: ClientTlsFlags, platform: Platform): Platform {
  const { fs } = platform;
  const ca = readPem(fs, flags["tls-ca"], "--tls-ca");
  const cert = readPem(fs, flags["tls-cert"], "--tls-cert");
  const key = readPem(fs, flags["tls-key"], "--tls-key");
  if (ca === undefined && cert === undefined && key === undefined) return platform;
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  return { ...platform, net: tlsDialingNet(platform.net, clientTlsConfig({ ca, cert, key })) };
}
