/**
 * INFO replication: Redis's role view of a Raft group. The leader is the
 * master and its followers (and learners) its replicas, each with the log
 * index it is known to hold as its offset; other nodes are replicas of the
 * leader. The tinykv_* fields give the Raft state itself. Addresses are the
 * members' peer addresses (their protobuf ports): a node does not know the
 * RESP ports of the others.
 */
import type { NodeStatus } from "../node/status_types.ts";
import type { RespCommandSpec, RespContext } from "./resp_command.ts";

function hostPort(address: string): [string, string] {
  const colon = address.lastIndexOf(":");
  return colon < 0 ? [address, "0"] : [address.slice(0, colon), address.slice(colon + 1)];
}

function masterLines(s: NodeStatus): string[] {
  const replicas = s.members.filter((m) => m.id !== s.id);
  const lines = [`role:master`, `connected_slaves:${replicas.length}`];
  replicas.forEach((m, i) => {
    const [ip, port] = hostPort(m.address);
    const offset = m.matchIndex ?? 0;
    lines.push(`slave${i}:ip=${ip},port=${port},state=online,offset=${offset},lag=0`);
  });
  lines.push("master_failover_state:no-failover", `master_repl_offset:${s.commitIndex}`);
  return lines;
}

function replicaLines(s: NodeStatus): string[] {
  const leader = s.members.find((m) => m.id === s.leader);
  const [host, port] = hostPort(leader?.address ?? "");
  return [
    "role:slave",
    `master_host:${host}`,
    `master_port:${port}`,
    `master_link_status:${leader === undefined ? "down" : "up"}`,
    `slave_repl_offset:${s.appliedIndex}`,
    "connected_slaves:0",
    "master_failover_state:no-failover",
    `master_repl_offset:${s.appliedIndex}`,
  ];
}

export function replicationLines(_ctx: RespContext, s: NodeStatus): string[] {
  const leaderAddress = s.members.find((m) => m.id === s.leader)?.address ?? "";
  return [
    ...(s.role === "leader" ? masterLines(s) : replicaLines(s)),
    `tinykv_node_id:${s.id}`,
    `tinykv_role:${s.role}`,
    `tinykv_term:${s.term}`,
    `tinykv_leader_id:${s.leader ?? 0}`,
    `tinykv_leader_address:${leaderAddress}`,
    `tinykv_commit_index:${s.commitIndex}`,
    `tinykv_applied_index:${s.appliedIndex}`,
  ];
}

/**
 * ROLE, in Redis 7's shape: the leader is ["master", offset, [[ip, port, offset]...]]
 * with its followers and learners; any other node is ["slave", leader host, leader port,
 * "connected" or "connect", applied index]. Offsets are log indexes.
 */
export const ROLE: RespCommandSpec = {
  arity: 1,
  kind: "local",
  run: (ctx) => {
    const s = ctx.service.status();
    if (s.role === "leader") {
      const replicas = s.members.filter((m) => m.id !== s.id);
      return (w) => {
        w.arrayHeader(3).bulkString("master").integer(s.commitIndex).arrayHeader(replicas.length);
        for (const m of replicas) {
          const [ip, port] = hostPort(m.address);
          w.arrayHeader(3).bulkString(ip).bulkString(port).bulkString(String(m.matchIndex ?? 0));
        }
      };
    }
    const leader = s.members.find((m) => m.id === s.leader);
    const [host, port] = hostPort(leader?.address ?? "");
    return (w) => {
      w.arrayHeader(5).bulkString("slave").bulkString(host).integer(Number(port));
      w.bulkString(leader === undefined ? "connect" : "connected").integer(s.appliedIndex);
    };
  },
};
