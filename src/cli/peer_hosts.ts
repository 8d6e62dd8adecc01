/**
 * `--peers` host names, resolved at startup the way the system resolves them (getaddrinfo,
 * through the platform): a name that does not resolve is a usage error naming the entry,
 * not a node that starts and then cannot reach its peers. The ports bind the address this
 * node's own name resolves to, and the startup line shows it.
 */
import type { Platform } from "../platform/types.ts";
import { errorMessage } from "../util/errors.ts";
import type { PeerAddress } from "./peers.ts";
import { UsageError } from "./usage_error.ts";

/** An IPv4 or IPv6 literal needs no lookup. */
function isAddressLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}

/** Resolves every peer's host once; returns the address this node's ports bind to. */
export async function resolvePeerHosts(
  peers: readonly PeerAddress[],
  selfId: number,
  platform: Pick<Platform, "lookupHost">,
): Promise<string> {
  const lookup = platform.lookupHost;
  let own: string | undefined;
  await Promise.all(peers.map(async (p) => {
    if (isAddressLiteral(p.host) || lookup === undefined) {
      if (p.id === selfId) own = p.host;
      return;
    }
    let found: string[];
    try {
      found = await lookup(p.host);
    } catch (err) {
      throw new UsageError(
        `--peers host '${p.host}' (node ${p.id}) does not resolve: ${errorMessage(err)}`,
      );
    }
    if (found.length === 0) throw new UsageError(`--peers host '${p.host}' has no address`);
    if (p.id === selfId) own = found[0];
  }));
  if (own === undefined) throw new UsageError(`--peers must list this node's id ${selfId}`);
  return own;
}

/** `host:port`, with an IPv6 host in brackets. */
export function joinHostPort(host: string, port: number | undefined): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port ?? "?"}`;
}
