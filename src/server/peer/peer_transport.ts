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
import { PeerLink } from "./peer_link.ts";
import { type PeerTransportOptions, TransportCounters } from "./peer_options.ts";
import { streamSnapshot } from "./snapshot_sender.ts";

export { messageFrames };
export type { PeerTransportOptions };
export { TransportCounters };

export class PeerTransport implements Transport {
  readonly #links = new Map<number, PeerLink>();
  readonly counters = new TransportCounters();

  constructor(readonly o: PeerTransportOptions) {}

  /** Sets the peers' addresses (membership changes add and remove peers). */
  setPeers(addresses: ReadonlyMap<number, string>): void {
    for (const [id, link] of this.#links) {
      if (!addresses.has(id)) {
        link.close();
        this.#links.delete(id);
      }
    }
    for (const [id, address] of addresses) {
      if (id === this.o.selfId) continue;
      const link = this.#links.get(id);
      if (link === undefined) this.#links.set(id, new PeerLink(id, address, this.o, this.counters));
      else link.address = address;
    }
  }

  /** Bytes waiting for peer `id` (held and in its socket), for metrics and tests. */
  pendingBytes(id: number): number {
    return this.#links.get(id)?.pendingBytes ?? 0;
  }

  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const link = this.#links.get(m.to);
      if (link === undefined) {
        this.counters.droppedUnknownPeer++;
        this.o.onUnreachable?.(m.to);
        continue;
      }
      const isSnapshot = m.type === MessageType.Snap;
      const source = this.o.snapshotSource;
      if (isSnapshot && source !== undefined) void streamSnapshot(link, m, source);
      else if (!link.enqueue(messageFrames(m), isSnapshot) && isSnapshot) {
        link.snapshotStatus(false);
      }
    }
  }

  close(): void {
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }
}
