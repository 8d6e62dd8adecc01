/**
 * With `--tls-ca`, a connection saying Hello as node N must present a certificate the CA
 * signed, and that certificate must name the host of N's configured address (membership or
 * `--peers`): so one node's certificate, or a client's, cannot speak Raft as another node
 * (docs/tls.md). A node not configured yet (one being added) is checked for the CA only.
 */
import type { Conn } from "../../platform/types.ts";
import { WireError } from "../../wire/frame_codec.ts";
import { splitHostPort } from "../../util/host_port.ts";

export function checkPeerCertificate(
  nodeId: number,
  conn: Conn,
  configuredAddress: string | undefined,
): void {
  if (!conn.peerCertificateVerified) {
    throw new WireError(`peer ${nodeId} presented no certificate the cluster's CA signed`);
  }
  if (configuredAddress === undefined) return;
  const host = splitHostPort(configuredAddress).host.toLowerCase();
  const names = conn.peerCertificateNames ?? [];
  if (!names.includes(host)) {
    throw new WireError(
      `peer ${nodeId}'s certificate names ${names.join(", ") || "nothing"}, not ${host}, ` +
        `the host of its address ${configuredAddress}`,
    );
  }
}
