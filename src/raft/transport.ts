/**
 * How a Raft node reaches its peers. Implemented over TCP in server/
 * (peer_transport.ts) and by the in-process networks of the simulator and
 * the benchmark. Sending never blocks: a transport queues (bounded) or drops,
 * and Raft retransmits what matters.
 */
import type { Message } from "./core/messages.ts";

export interface Transport {
  /** Queues messages for their recipients (`m.to`). Called after persisting. */
  send(messages: readonly Message[]): void;
}
