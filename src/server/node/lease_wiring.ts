/**
 * Starts a node's leases (node_leases.ts) over a running NodeService, with a
 * forwarder of its own to reach the leader (a follower forwards keep-alives).
 */
import type { Net } from "../../platform/types.ts";
import { LeaderForwarder, peerHelloOf } from "./leader_forwarder.ts";
import { NodeLeases } from "./node_leases.ts";
import type { NodeService } from "./node_service.ts";

export interface RunningLeases {
  readonly leases: NodeLeases;
  close(): void;
}

export function startNodeLeases(node: NodeService, net: Net): RunningLeases {
  const o = node.o;
  const forwarder = new LeaderForwarder(net, o.clock, peerHelloOf(o));
  const leases = new NodeLeases({
    selfId: o.id,
    clock: o.clock,
    electionTimeoutMs: o.electionTimeoutMs,
    checkIntervalMs: o.tickMs * o.heartbeatTicks,
    requestTimeoutMs: o.requestTimeoutMs,
    table: () => node.kv,
    raft: () => {
      const raw = node.node.rawNode;
      return {
        isLeader: raw.isLeader,
        term: raw.term,
        lead: raw.lead,
        lastIndex: () => raw.status().lastIndex,
      };
    },
    execute: (command) => node.execute(command),
    addressOf: (id) => node.addresses.get(id),
    forward: (address, body, timeoutMs) => forwarder.forwardRequest(address, body, timeoutMs),
    confirmLeadership: () => node.reads.wait(),
  });
  leases.start();
  return {
    leases,
    close: () => {
      leases.stop();
      forwarder.close();
    },
  };
}
