/**
 * The --tls-* flags (docs/tls.md): a node's certificate, key, CA and client-auth switch, and
 * a client command's CA, certificate and key, read from their files.
 */
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

/** SIGHUP re-reads the node's certificate files; a failure keeps the old ones and says why. */
export function reloadTlsOnSignal(tls: NodeTls | undefined, host: ProcessHost): void {
  if (tls === undefined) return;
  host.onReload?.(() => {
    try {
      tls.reload();
      host.writeStderr("tinykv: TLS certificates reloaded\n");
    } catch (err) {
      host.writeStderr(
        `tinykv: TLS reload failed, keeping the old certificates: ${errorMessage(err)}\n`,
      );
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
