/**
 * Raft messages to peers over TCP (implements raft/transport.ts). One
 * outgoing link per peer (peer_link.ts): a connection opened lazily,
 * introduced with Hello (node id and cluster token), re-opened with backoff
 * after a failure, behind a bounded queue that also counts what the socket
 * has not sent yet. When it is full, messages are dropped and the peer
 * reported unreachable — Raft retransmits what matters. Snapshots go out in
 * chunks (snapshot_sender.ts).
 */
import { type Message, MessageType } from "../../raft/core/messages.ts";
import type { Transport } from "../../raft/transport.ts";
import { messageFrames } from "./peer_frames.ts";
import { PeerLinks } from "./peer_links.ts";
import { type PeerTransportOptions, TransportCounters } from "./peer_options.ts";
import { streamSnapshot } from "./snapshot_sender.ts";

export { messageFrames };
export type { PeerTransportOptions };
export { TransportCounters };

export class PeerTransport implements Transport {
  readonly #links: PeerLinks;
  readonly counters: TransportCounters;

  constructor(readonly o: PeerTransportOptions) {
    this.#links = new PeerLinks(o);
    this.counters = this.#links.counters;
  }

  /** Sets the peers' addresses (membership changes add and remove peers). */
  setPeers(addresses: ReadonlyMap<number, string>): void {
    this.#links.setPeers(addresses);
  }

  /** Bytes waiting for peer `id` (held and in its socket), for metrics and tests. */
  pendingBytes(id: number): number {
    return this.#links.pendingBytes(id);
  }

  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const link = this.#links.get(m.to);
      if (link === undefined) continue;
      const isSnapshot = m.type === MessageType.Snap;
      const source = this.o.snapshotSource;
      if (isSnapshot && source !== undefined) void streamSnapshot(link, m, source);
      else if (!link.enqueue(messageFrames(m), isSnapshot) && isSnapshot) {
        link.snapshotStatus(false);
      }
    }
  }

  close(): void {
    this.#links.close();
  }
}
