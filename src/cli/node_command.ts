/**
 * `tinykv node drain ID`: marks node ID draining in the placement service
 * (docs/operations.md "Draining a node"). The request is an admin request to
 * the placement leader; a node that does not lead answers NOT_LEADER with the
 * leader it knows, which the client follows.
 */
import { ClientCore, type ClientOptions } from "../client/client.ts";
import {
  decodePlacementAnswer,
  encodePlacementRequest,
} from "../server/placement/placement_rpc.ts";
import { parseNodeId } from "./peers.ts";
import { UsageError } from "./usage_error.ts";

const USAGE = "usage: tinykv node drain ID";

/** Parses `drain ID` (usage errors before any connection); the run prints what happened. */
export function planNodeCommand(args: readonly string[]): (o: ClientOptions) => Promise<string> {
  if (args.length !== 2 || args[0] !== "drain") throw new UsageError(USAGE);
  const id = parseNodeId(args[1], "ID");
  return async (options) => {
    const core = new ClientCore(options);
    try {
      const body = encodePlacementRequest({ kind: "drain", nodeId: id });
      const r = await core.read({ case: "placement", value: { body } });
      if (r.body.case !== "placement") throw new Error(`drain answered ${r.body.case}`);
      const a = decodePlacementAnswer(r.body.value.body);
      if (a.kind === "error") throw new Error(a.message);
      return `node ${id} is draining: the placement service plans moving its replicas off ` +
        `(see /placement); remove it once it holds none\n`;
    } finally {
      core.close();
    }
  };
}

/** The placement leader's summary (`/status`'s `placement`), for `tinykv status`. */
export interface PlacementSummary {
  readonly leader: number | null;
  readonly nodes: readonly {
    readonly id: number;
    readonly zone: string;
    readonly heartbeatAgeMs: number;
    readonly draining: boolean;
    readonly down: boolean;
  }[];
}

/** Asks the placement leader (through any node) for its summary. */
export async function placementSummary(options: ClientOptions): Promise<PlacementSummary> {
  const core = new ClientCore(options);
  try {
    const body = encodePlacementRequest({ kind: "status" });
    const r = await core.read({ case: "placement", value: { body } });
    if (r.body.case !== "placement") throw new Error(`placement answered ${r.body.case}`);
    const a = decodePlacementAnswer(r.body.value.body);
    if (a.kind !== "status") throw new Error(`placement answered ${a.kind}`);
    return JSON.parse(a.json) as PlacementSummary;
  } finally {
    core.close();
  }
}

/** `placement leader 2; nodes 1 (eu-1a) 0.4s, 2 (eu-1b) 0.1s draining, 3 down 45.0s`. */
export function placementLine(s: PlacementSummary): string {
  const nodes = s.nodes.map((n) => {
    const zone = n.zone === "" ? "" : ` (${n.zone})`;
    const flags = (n.down ? " down" : "") + (n.draining ? " draining" : "");
    return `${n.id}${zone} ${(n.heartbeatAgeMs / 1000).toFixed(1)}s${flags}`;
  });
  return `placement leader ${s.leader ?? "none"}; nodes ${nodes.join(", ") || "none"} ` +
    `(last heartbeat age)\n`;
}
