/**
 * The outgoing links of a transport, one per peer node (peer_link.ts), kept
 * in step with the peers' addresses. Shared by the single-group transport
 * (peer_transport.ts) and the multi-region one (multi_peer_transport.ts).
 */
import { PeerLink } from "./peer_link.ts";
import { type PeerTransportOptions, TransportCounters } from "./peer_options.ts";

export class PeerLinks {
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

  /** The link to `id`; undefined (counted, reported unreachable) for an unknown peer. */
  get(id: number, messages = 1): PeerLink | undefined {
    const link = this.#links.get(id);
    if (link !== undefined) return link;
    this.counters.droppedUnknownPeer += messages;
    this.o.onUnreachable?.(id);
    return undefined;
  }

  /** The address of peer `id`'s link, if it has one. */
  address(id: number): string | undefined {
    return this.#links.get(id)?.address;
  }

  /** Bytes waiting for peer `id` (held and in its socket), for metrics and tests. */
  pendingBytes(id: number): number {
    return this.#links.get(id)?.pendingBytes ?? 0;
  }

  /** Every link's queue to its socket now (PeerLink.flushNow). */
  flushNow(): void {
    for (const link of this.#links.values()) link.flushNow();
  }

  close(): void {
    for (const link of this.#links.values()) link.close();
    this.#links.clear();
  }
}
