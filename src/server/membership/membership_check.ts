/**
 * Is this node in its cluster? Asked at startup (docs/operations.md, "Starting a node"):
 * the other `--peers` answer a status request before this node opens its ports, and the
 * answers are judged here — another cluster's id, or a membership without this node, is
 * a refusal that names the flag or command to fix it (a node that sat as a candidate
 * forever was the old answer). With `--join`, not being a member is the expected wait.
 */
import { type ClusterStatus, StatusProbe } from "../../client/cluster_status.ts";
import { ClientConnection, type PeerHello } from "../../client/connection.ts";
import type { Clock, Net } from "../../platform/types.ts";
import { isLegacyClusterId } from "../node/identity.ts";

/** How long a peer may take to answer at startup (a dead one refuses at once). */
export const STARTUP_PROBE_TIMEOUT_MS = 500;

export interface PeerAnswer {
  readonly id: number;
  readonly address: string;
  readonly status: ClusterStatus;
}

export interface SelfView {
  readonly id: number;
  /** Undefined while a joining node has not learned it. */
  readonly clusterId: string | undefined;
  readonly dataDir: string;
  /** The data directory is new (this start would found a cluster, or join one). */
  readonly fresh: boolean;
  readonly join: boolean;
  /** This node's own protobuf address (for the `member add` hint). */
  readonly address: string;
}

export type Verdict =
  | { readonly ok: true; readonly adopt?: string; readonly waiting?: string }
  | { readonly ok: false; readonly message: string };

/** Every other peer's status, asked at once; peers that do not answer are left out. */
export async function askPeers(
  net: Net,
  clock: Clock,
  peers: ReadonlyMap<number, string>,
  selfId: number,
  /** As a peer (with the cluster token): a node with users answers no anonymous status. */
  hello?: PeerHello,
  timeoutMs = STARTUP_PROBE_TIMEOUT_MS,
): Promise<PeerAnswer[]> {
  const probe = new StatusProbe(
    net,
    clock,
    timeoutMs,
    (address) => ClientConnection.open(net, clock, address, hello),
  );
  try {
    const others = [...peers].filter(([id]) => id !== selfId);
    const answers = await Promise.all(others.map(async ([id, address]) => {
      try {
        return [{ id, address, status: await probe.ask(address) }];
      } catch {
        return [];
      }
    }));
    return answers.flat();
  } finally {
    probe.close();
  }
}

/** The refusal (or wait) for a node its cluster does not list. */
export function notMember(self: SelfView, clusterId: string, members: readonly number[]): Verdict {
  const what = `node ${self.id} is not a member of cluster ${clusterId} ` +
    `(members ${members.join(",") || "none"})`;
  const add = `tinykv member add ${self.id} ${self.address}`;
  if (self.join) return { ok: true, waiting: `${what}; waiting to be added: run \`${add}\`` };
  return {
    ok: false,
    message: `${what}: it was removed or never added; run \`${add}\` and start it with ` +
      `--join, or take node ${self.id} out of --peers`,
  };
}

/** Judges what the peers said about this node's cluster and membership. */
export function judgePeers(self: SelfView, answers: readonly PeerAnswer[]): Verdict {
  let adopt: string | undefined;
  for (const a of answers) {
    const theirs = a.status.clusterId;
    if (theirs === null || !a.status.member) continue;
    const ours = self.clusterId ?? adopt;
    const members = a.status.members.map((m) => m.id);
    const listed = members.includes(self.id);
    if (ours === undefined) adopt = theirs;
    else if (theirs !== ours && !isLegacyClusterId(theirs) && !isLegacyClusterId(ours)) {
      if (!listed) return notMember(self, theirs, members);
      return { ok: false, message: mismatch(self, ours, a) };
    }
    // Only the leader's list decides: a follower's may be stale (it has not yet applied the
    // entry that added this node back), and refusing on it would keep a member down for good.
    if (!listed && a.status.leaderId === a.id) {
      const v = notMember(self, theirs, members);
      return v.ok && adopt !== undefined ? { ...v, adopt } : v;
    }
  }
  return { ok: true, ...(adopt === undefined ? {} : { adopt }) };
}

function mismatch(self: SelfView, ours: string, a: PeerAnswer): string {
  const peer = `${a.address} (node ${a.id} in --peers) is in cluster ${a.status.clusterId}`;
  if (self.fresh) {
    return `node ${self.id} would found a new cluster ${ours}, but ${peer}: ` +
      `fix --peers or --cluster-token, or start this node with --join after \`tinykv member add\``;
  }
  return `data directory ${self.dataDir} belongs to cluster ${ours}, but ${peer}: ` +
    `fix --data-dir (it holds another cluster's data) or --peers`;
}
